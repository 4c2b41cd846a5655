import AgentRuntime
import AgentRuntimeTesting
import Clocks
import Foundation
import PostgresStore
import Testing

/// The rate limiter shared by every replica on a PostgreSQL database, on a test clock.
@Suite("PostgreSQL rate limiter: token buckets shared by every replica")
struct PostgresRateLimiterTests {
    /// Two stores (two replicas) on one new, migrated database.
    static func withReplicas(_ body: ([PostgresRunStore]) async throws -> Void) async throws {
        let server = try await PostgresTestServer.shared()
        let url = try PostgresStoreURL(parsing: try await server.makeDatabase())
        let stores = [
            PostgresRunStore(url: url, password: nil, queryTimeout: StoreAdapter.queryTimeout),
            PostgresRunStore(url: url, password: nil, queryTimeout: StoreAdapter.queryTimeout),
        ]
        defer { for store in stores { store.shutdown() } }
        try await stores[0].migrate()
        try await body(stores)
    }

    @Test("two limiters on one database share a bucket: its capacity passes, then callers wait in turn; it refills")
    func shared() async throws {
        try await Self.withReplicas { stores in
            let clock = TestClock()
            let time = TimeSource(clock)
            let (a, b) = (
                PostgresRateLimiter(store: stores[0], time: time), PostgresRateLimiter(store: stores[1], time: time)
            )
            for index in 0..<60 {
                #expect(try await (index.isMultiple(of: 2) ? a : b).reserve("k", amount: 1, perMinute: 60) == .zero)
            }
            #expect(try await a.reserve("k", amount: 1, perMinute: 60) == .seconds(1))
            #expect(try await b.reserve("k", amount: 1, perMinute: 60) == .seconds(2))
            #expect(try await b.reserve("other", amount: 1, perMinute: 60) == .zero, "another key is not slowed")
            try await a.adjust("k", by: -2)
            #expect(
                try await b.reserve("k", amount: 1, perMinute: 60) == .seconds(1), "given back, the queue is shorter")
            await clock.advance(by: .seconds(3))
            #expect(try await a.reserve("k", amount: 1, perMinute: 60) == .zero, "three seconds refill three requests")
            #expect(try await b.reserve("k", amount: 1, perMinute: 60) == .zero)
            #expect(try await a.reserve("k", amount: 1, perMinute: 60) == .seconds(1))
            try await a.adjust("missing", by: 5)
            #expect(try await a.reserve("missing", amount: 1, perMinute: 60) == .zero, "adjusting no bucket makes none")
        }
    }

    @Test("reservations made at once on two replicas queue exactly: 100 callers on a bucket of 60")
    func concurrent() async throws {
        try await Self.withReplicas { stores in
            let time = TimeSource(TestClock())
            let limiters = stores.map { PostgresRateLimiter(store: $0, time: time) }
            let waits = try await withThrowingTaskGroup(of: Duration.self) { group in
                for index in 0..<100 {
                    group.addTask { try await limiters[index % 2].reserve("k", amount: 1, perMinute: 60) }
                }
                return try await group.reduce(into: [Duration]()) { $0.append($1) }
            }
            #expect(waits.sorted() == Array(repeating: .zero, count: 60) + (1...40).map { .seconds($0) })
        }
    }

    @Test("the same answers as the in-memory limiter for a long run of reservations, adjustments and clock moves")
    func sameAsInMemory() async throws {
        try await Self.withReplicas { stores in
            let clock = TestClock()
            let shared = [
                PostgresRateLimiter(store: stores[0], time: TimeSource(clock)),
                PostgresRateLimiter(store: stores[1], time: TimeSource(clock)),
            ]
            let memory = RateLimiter(time: TimeSource(clock))
            var random = SplitMix(seed: 42)
            for step in 0..<400 {
                let key = ["a", "b", "c"][Int(random.next() % 3)]
                let limiter = shared[step % 2]
                switch random.next() % 10 {
                case 0...5:
                    let perMinute = [30, 60, 600][Int(random.next() % 3)]
                    let amount = Double(random.next() % 40) + (random.next() % 2 == 0 ? 0 : 0.5)
                    let expected = await memory.reserve(key, amount: amount, perMinute: perMinute)
                    let got = try await limiter.reserve(key, amount: amount, perMinute: perMinute)
                    #expect(abs((got - expected).seconds) <= 0.001, "step \(step): \(got) != \(expected)")
                case 6, 7:
                    let amount = Double(Int(random.next() % 40) - 20)
                    await memory.adjust(key, by: amount)
                    try await limiter.adjust(key, by: amount)
                default:
                    await clock.advance(by: .milliseconds(Int(random.next() % 3000)))
                }
            }
        }
    }
}

/// A small deterministic random number generator (the same sequence on every run).
struct SplitMix {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
