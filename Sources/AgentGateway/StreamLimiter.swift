import AgentRuntime

/// The event streams (`GET /v1/runs/{id}/events`) open in this replica, held against a cap per tenant and one for
/// the replica: a stream holds a connection, a task and a store follower for as long as it lasts, so one tenant
/// cannot exhaust them for the others. Counted in this process (what is limited is this process's resources).
public actor StreamLimiter {
    /// Streams one tenant may have open at once.
    public nonisolated let maxPerTenant: Int
    /// Streams that may be open at once, all tenants together.
    public nonisolated let maxTotal: Int
    private var open: [TenantID: Set<Int>] = [:]
    private var total = 0
    private var nextID = 0

    /// Creates a limiter with no stream open.
    public init(maxPerTenant: Int, maxTotal: Int) {
        self.maxPerTenant = maxPerTenant
        self.maxTotal = maxTotal
    }

    /// Streams open now, all tenants together.
    public var openStreams: Int { total }

    /// Streams `tenant` has open now.
    public func openStreams(tenant: TenantID) -> Int { open[tenant]?.count ?? 0 }

    /// A place for one more stream of `tenant`; 429 (`RATE_LIMITED`, with `Retry-After`) when the tenant or the
    /// replica is at its cap. The place is given back by ``StreamSlot/release()``, or when the slot is dropped.
    func acquire(_ tenant: TenantID, retryAfter: Int) throws -> StreamSlot {
        let held = open[tenant]?.count ?? 0
        guard held < maxPerTenant else {
            throw GatewayError(
                .rateLimited,
                "tenant \(tenant) has \(held) event streams open, the most allowed; close one, or retry later",
                details: [["field": "", "message": .string("at most \(maxPerTenant) open event streams per tenant")]],
                retryAfter: retryAfter)
        }
        guard total < maxTotal else {
            throw GatewayError(
                .rateLimited, "the service has \(total) event streams open, the most it allows; retry later",
                details: [["field": "", "message": .string("at most \(maxTotal) open event streams")]],
                retryAfter: retryAfter)
        }
        nextID += 1
        open[tenant, default: []].insert(nextID)
        total += 1
        return StreamSlot(id: nextID, tenant: tenant, limiter: self)
    }

    /// Gives a place back; a place already given back is left alone.
    func release(_ id: Int, tenant: TenantID) {
        guard open[tenant]?.remove(id) != nil else { return }
        total -= 1
        if open[tenant]?.isEmpty == true { open[tenant] = nil }
    }
}

/// One open stream's place in the ``StreamLimiter``: given back once, by ``release()`` on every way the stream ends,
/// or at the latest when the slot is dropped (a response whose body never ran).
final class StreamSlot: Sendable {
    let id: Int
    let tenant: TenantID
    let limiter: StreamLimiter

    init(id: Int, tenant: TenantID, limiter: StreamLimiter) {
        self.id = id
        self.tenant = tenant
        self.limiter = limiter
    }

    /// Gives the place back.
    func release() async { await limiter.release(id, tenant: tenant) }

    deinit {
        let (limiter, id, tenant) = (limiter, id, tenant)
        Task { await limiter.release(id, tenant: tenant) }
    }
}
