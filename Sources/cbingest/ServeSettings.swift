import Foundation
import IngestGateway
import IngestService
import Logging
import RPCCore

/// `cbingest serve`'s configuration, read from flags and environment in this one place.
struct ServeSettings {
    struct Problem: Error {
        var message: String
    }

    var service = IngestServiceConfiguration()
    /// nil when the gateway is off.
    var gateway: GatewayConfiguration? = GatewayConfiguration()
    var keyring: MasterKeyring
    var logLevel: Logger.Level = .info
    var jsonLogs = false
    var authTokenSource = "none"

    init(environment: [String: String], flags: ServeCommand) throws {
        func value(_ flag: String?, _ name: String) -> String? {
            flag ?? environment[name].flatMap { $0.isEmpty ? nil : $0 }
        }
        func integer(_ name: String, _ range: ClosedRange<Int>) throws -> Int? {
            guard let text = environment[name], !text.isEmpty else { return nil }
            guard let number = Int(text), range.contains(number) else {
                throw Problem(message: "\(name) must be a whole number in \(range.lowerBound)...\(range.upperBound)")
            }
            return number
        }

        self.service.rpc.host = value(flags.rpcHost, "CBINGEST_RPC_HOST") ?? "127.0.0.1"
        if let port = flags.rpcPort {
            self.service.rpc.port = port
        } else if let port = try integer("CBINGEST_RPC_PORT", 0...65535) {
            self.service.rpc.port = port
        }
        guard let databaseURL = value(flags.databaseURL, "DATABASE_URL") else {
            throw Problem(message: "no database: set DATABASE_URL (or --database-url), or use `make run`, which starts a local PostgreSQL")
        }
        self.service.databaseURL = databaseURL
        if let size = try integer("CBINGEST_DB_POOL_SIZE", 1...256) { self.service.databasePoolSize = size }
        if let bytes = try integer("CBINGEST_MAX_MESSAGE_BYTES", 1024...(64 << 20)) { self.service.rpc.maxMessageBytes = bytes }
        if let count = try integer("CBINGEST_MAX_CONNECTIONS", 1...1_000_000) { self.service.rpc.maxConnections = count }
        if let count = try integer("CBINGEST_MAX_IN_FLIGHT", 1...100_000) { self.service.rpc.maxInFlightCallsPerConnection = count }
        if let seconds = try integer("CBINGEST_IDLE_TIMEOUT_SECONDS", 1...86_400) { self.service.rpc.idleTimeout = .seconds(seconds) }
        if let seconds = try integer("CBINGEST_SHUTDOWN_GRACE_SECONDS", 0...3_600) { self.service.rpc.shutdownGracePeriod = .seconds(seconds) }
        if let hours = try integer("CBINGEST_SECRET_GRACE_HOURS", 0...8_760) { self.service.secretGracePeriodSeconds = UInt32(hours * 3600) }
        if let hours = try integer("CBINGEST_TOKEN_GRACE_HOURS", 0...8_760) { self.service.tokenGracePeriodSeconds = UInt32(hours * 3600) }
        if flags.noGateway || environment["CBINGEST_GATEWAY"] == "off" {
            self.gateway = nil
        } else {
            self.gateway?.host = value(flags.httpHost, "CBINGEST_HTTP_HOST") ?? "127.0.0.1"
            if let port = flags.httpPort {
                self.gateway?.port = port
            } else if let port = try integer("CBINGEST_HTTP_PORT", 0...65535) {
                self.gateway?.port = port
            }
            if let bytes = try integer("CBINGEST_MAX_IPN_BYTES", 1024...(16 << 20)) { self.gateway?.maxBodyBytes = bytes }
            if let count = try integer("CBINGEST_HTTP_MAX_CONNECTIONS", 1...1_000_000) { self.gateway?.maxConnections = count }
        }
        // Without a configured public URL, the webhook URLs point at this gateway itself (local use).
        let localGateway = self.gateway.map { "http://\($0.host == "0.0.0.0" ? "127.0.0.1" : $0.host):\($0.port)" }
        self.service.publicBaseURL = value(flags.publicBaseURL, "CBINGEST_PUBLIC_BASE_URL") ?? localGateway ?? "http://127.0.0.1:8080"
        guard self.service.publicBaseURL.hasPrefix("http://") || self.service.publicBaseURL.hasPrefix("https://") else {
            throw Problem(message: "CBINGEST_PUBLIC_BASE_URL must start with https:// (or http:// for local use)")
        }
        switch environment["CBINGEST_LOG_FORMAT"] ?? "text" {
        case "text", "": self.jsonLogs = false
        case "json": self.jsonLogs = true
        default: throw Problem(message: "CBINGEST_LOG_FORMAT must be text or json")
        }
        if let level = environment["CBINGEST_LOG_LEVEL"], !level.isEmpty {
            guard let parsed = Logger.Level(rawValue: level.lowercased()) else {
                throw Problem(message: "CBINGEST_LOG_LEVEL must be one of trace, debug, info, notice, warning, error, critical")
            }
            self.logLevel = parsed
        }

        do {
            if let path = value(flags.masterKeyFile, "CBINGEST_MASTER_KEY_FILE") {
                self.keyring = try MasterKeyring(file: path)
            } else if let keys = environment["CBINGEST_MASTER_KEY"], !keys.isEmpty {
                self.keyring = try MasterKeyring(parsing: keys)
            } else {
                throw Problem(message: "no master key: set CBINGEST_MASTER_KEY_FILE or CBINGEST_MASTER_KEY (64 hex characters; `make run` creates one)")
            }
        } catch let error as ServiceError {
            throw Problem(message: error.rpcError.message)
        }

        if let path = value(flags.authTokenFile, "CBINGEST_AUTH_TOKEN_FILE") {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw Problem(message: "cannot read the auth token file \(path)")
            }
            self.service.rpc.authToken = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            self.authTokenSource = "file"
        } else if let token = environment["CBINGEST_AUTH_TOKEN"], !token.isEmpty {
            self.service.rpc.authToken = token
            self.authTokenSource = "environment"
        }
        if let token = self.service.rpc.authToken, token.utf8.count < 16 {
            throw Problem(message: "the auth token must be at least 16 characters")
        }
        if self.service.rpc.authToken == nil, !self.service.rpc.listensOnLoopbackOnly,
            environment["CBINGEST_ALLOW_UNAUTHENTICATED"] != "1"
        {
            throw Problem(message: """
                listening on \(self.service.rpc.host) (not loopback) requires authentication: set \
                CBINGEST_AUTH_TOKEN or CBINGEST_AUTH_TOKEN_FILE, or CBINGEST_ALLOW_UNAUTHENTICATED=1 \
                if the network is trusted
                """)
        }
    }

    /// Where a client in this process reaches the RPC server (a wildcard listen address is not dialable).
    var rpcHostForLocalClients: String {
        switch self.service.rpc.host {
        case "0.0.0.0", "": "127.0.0.1"
        case "::": "::1"
        default: self.service.rpc.host
        }
    }

    /// What --check-config prints: everything except secrets.
    var summary: String {
        let database = Self.redactedConninfo(self.service.databaseURL)
        return """
            configuration OK
              rpc:            \(self.service.rpc.host):\(self.service.rpc.port)
              database:       \(database) (pool \(self.service.databasePoolSize))
              http gateway:   \(self.gateway.map { "\($0.host):\($0.port), body cap \($0.maxBodyBytes) B" } ?? "off")
              public base:    \(self.service.publicBaseURL)
              master keys:    \(self.keyring.keys.map(\.id).joined(separator: ", ")) (current \(self.keyring.current.id))
              auth:           \(self.service.rpc.authToken == nil ? "off" : "required (token from \(self.authTokenSource))")
              logs:           \(self.jsonLogs ? "json" : "text"), level \(self.logLevel)
              limits:         message \(self.service.rpc.maxMessageBytes) B, \(self.service.rpc.maxInFlightCallsPerConnection) calls/connection, \(self.service.rpc.maxConnections) connections, idle \(self.service.rpc.idleTimeout)
            """
    }

    /// Hides a password in a URL or key=value conninfo.
    static func redactedConninfo(_ conninfo: String) -> String {
        conninfo
            .replacingOccurrences(of: #"(://[^:/@]+):[^@]*@"#, with: "$1:***@", options: .regularExpression)
            .replacingOccurrences(of: #"password\s*=\s*\S+"#, with: "password=***", options: .regularExpression)
    }
}
