public import NIOCore

/// Why a byte stream could not be read as frames. Each is fatal to the connection that sent it,
/// because after it the stream cannot be trusted to be aligned on frame boundaries.
public enum FrameDecodingError: Error, Equatable, Sendable {
    /// The header announced a body over the limit. Raised from the 12 (or 16) header bytes alone,
    /// before any of the body is buffered.
    case messageTooLarge(methodIndex: UInt32, requestID: UInt32, length: UInt32, limit: Int)
    /// The peer closed the connection in the middle of a frame.
    case truncatedFrame(bufferedBytes: Int)
}

/// Splits a server's inbound bytes into request frames (method_index, length, request_id, body).
public struct RequestFrameDecoder: NIOSingleStepByteToMessageDecoder {
    public typealias InboundOut = RequestFrame

    public let maxMessageBytes: Int

    public init(maxMessageBytes: Int) {
        self.maxMessageBytes = maxMessageBytes
    }

    public mutating func decode(buffer: inout ByteBuffer) throws -> RequestFrame? {
        guard
            let (methodIndex, length, requestID) = buffer.getMultipleIntegers(
                at: buffer.readerIndex,
                endianness: .little,
                as: (UInt32, UInt32, UInt32).self
            )
        else { return nil }
        guard Int(length) <= self.maxMessageBytes else {
            throw FrameDecodingError.messageTooLarge(
                methodIndex: methodIndex, requestID: requestID, length: length, limit: self.maxMessageBytes
            )
        }
        guard buffer.readableBytes >= WireProtocol.requestHeaderSize + Int(length) else { return nil }
        buffer.moveReaderIndex(forwardBy: WireProtocol.requestHeaderSize)
        let body = buffer.readSlice(length: Int(length))!
        return RequestFrame(methodIndex: methodIndex, requestID: requestID, body: body)
    }

    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> RequestFrame? {
        if let frame = try self.decode(buffer: &buffer) { return frame }
        if buffer.readableBytes > 0 { throw FrameDecodingError.truncatedFrame(bufferedBytes: buffer.readableBytes) }
        return nil
    }
}

/// Splits a client's inbound bytes into reply frames (status, method_index, length, request_id, body).
public struct ReplyFrameDecoder: NIOSingleStepByteToMessageDecoder {
    public typealias InboundOut = ReplyFrame

    public let maxMessageBytes: Int

    public init(maxMessageBytes: Int) {
        self.maxMessageBytes = maxMessageBytes
    }

    public mutating func decode(buffer: inout ByteBuffer) throws -> ReplyFrame? {
        guard
            let (status, methodIndex, length, requestID) = buffer.getMultipleIntegers(
                at: buffer.readerIndex,
                endianness: .little,
                as: (UInt32, UInt32, UInt32, UInt32).self
            )
        else { return nil }
        guard Int(length) <= self.maxMessageBytes else {
            throw FrameDecodingError.messageTooLarge(
                methodIndex: methodIndex, requestID: requestID, length: length, limit: self.maxMessageBytes
            )
        }
        guard buffer.readableBytes >= WireProtocol.replyHeaderSize + Int(length) else { return nil }
        buffer.moveReaderIndex(forwardBy: WireProtocol.replyHeaderSize)
        let body = buffer.readSlice(length: Int(length))!
        return ReplyFrame(status: status, methodIndex: methodIndex, requestID: requestID, body: body)
    }

    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> ReplyFrame? {
        if let frame = try self.decode(buffer: &buffer) { return frame }
        if buffer.readableBytes > 0 { throw FrameDecodingError.truncatedFrame(bufferedBytes: buffer.readableBytes) }
        return nil
    }
}

/// Writes frames as bytes; used by both sides.
public struct RequestFrameEncoder: MessageToByteEncoder {
    public typealias OutboundIn = RequestFrame
    public init() {}
    public func encode(data: RequestFrame, out: inout ByteBuffer) throws {
        out.writeRequestFrame(data)
    }
}

public struct ReplyFrameEncoder: MessageToByteEncoder {
    public typealias OutboundIn = ReplyFrame
    public init() {}
    public func encode(data: ReplyFrame, out: inout ByteBuffer) throws {
        out.writeReplyFrame(data)
    }
}
