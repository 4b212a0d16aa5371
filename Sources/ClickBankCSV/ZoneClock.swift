internal import Foundation

/// Turns wall-clock times of one IANA zone into instants, DST-correct, with one cache entry per date.
///
/// Foundation's `TimeZone` knows the zone's rules; asking it for every row would be slow, so for each
/// date the clock checks once whether the zone's offset is the same all around that date (within 14 hours
/// either side, the widest offset there is). On such a date every time has exactly one instant,
/// `local - offset`. Only the rare dates with a change take the careful path: a wall-clock time that
/// happens twice (the hour repeated when DST ends) is read as the first, daylight, one (as Python's
/// `zoneinfo` does with fold=0); one that never happens (skipped when DST starts) has no instant.
struct ZoneClock: Sendable {
    let identifier: String
    private let zone: TimeZone
    /// Epoch day -> offset in seconds for dates without a change; `Self.changing` for the others.
    private var days: [Int: Int] = [:]
    private var lastDay = Int.min
    private var lastOffset = 0

    private static let changing = Int.min

    init?(identifier: String) {
        guard let zone = TimeZone(identifier: identifier) else { return nil }
        self.identifier = identifier
        self.zone = zone
    }

    /// The instant (Unix seconds) of a local wall-clock time and the zone's offset then, in seconds.
    /// Nil when the time does not exist on that date (a daylight-saving gap).
    mutating func resolve(epochDay: Int, secondOfDay: Int) -> (unixSeconds: Int64, offsetSeconds: Int)? {
        let local = Int64(epochDay) * 86_400 + Int64(secondOfDay)
        if epochDay == self.lastDay {
            return (local - Int64(self.lastOffset), self.lastOffset)
        }
        let offset: Int
        if let cached = self.days[epochDay] {
            offset = cached
        } else {
            offset = self.dayOffset(epochDay: epochDay)
            self.days[epochDay] = offset
        }
        if offset != Self.changing {
            self.lastDay = epochDay
            self.lastOffset = offset
            return (local - Int64(offset), offset)
        }
        return self.resolveSlowly(local: local)
    }

    /// The single offset around a date, or `changing`.
    private func dayOffset(epochDay: Int) -> Int {
        let midnight = Int64(epochDay) * 86_400
        let first = self.offset(at: midnight - 14 * 3600)
        // Hourly samples: real zones never change and change back within an hour.
        for hour in -13...38 where self.offset(at: midnight + Int64(hour) * 3600) != first {
            return Self.changing
        }
        return first
    }

    private func resolveSlowly(local: Int64) -> (unixSeconds: Int64, offsetSeconds: Int)? {
        // Any valid instant uses an offset in force within a day of the local time.
        let before = self.offset(at: local - 86_400)
        let after = self.offset(at: local + 86_400)
        var best: (unixSeconds: Int64, offsetSeconds: Int)?
        for candidate in [before, after] {
            let instant = local - Int64(candidate)
            guard self.offset(at: instant) == candidate else { continue }
            if let earlier = best, earlier.unixSeconds <= instant {
                continue
            }
            best = (instant, candidate)
        }
        return best
    }

    private func offset(at unixSeconds: Int64) -> Int {
        self.zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(unixSeconds)))
    }
}
