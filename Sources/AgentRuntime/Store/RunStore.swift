import Foundation

/// A run as stored: who ran what, how it ended, what it cost.
public struct RunRecord: Hashable, Sendable {
    /// The run.
    public var id: RunID
    /// Whose run it is; only this tenant may see it.
    public var tenant: TenantID
    /// The user who started it.
    public var user: String
    /// The crew (or `invoke:<agent>`).
    public var crew: String
    /// Where it stands.
    public var status: RunStatus
    /// The inputs it was given.
    public var inputs: JSONValue
    /// The final output.
    public var output: String?
    /// The final output as JSON, when its task has a schema.
    public var outputJSON: JSONValue?
    /// The failure code and message, when it failed.
    public var errorCode: String?
    /// See `errorCode`.
    public var errorMessage: String?
    /// Tokens used.
    public var usage: TokenUsage
    /// Cost in USD.
    public var costUSD: Double
    /// When it was created.
    public var createdAt: Date
    /// When it ended.
    public var finishedAt: Date?
    /// Attempts made: 1, or more when the run was carried on after a crash or an interruption.
    public var attempts: Int = 1
    /// How each earlier attempt ended, oldest first.
    public var attemptErrors: [String] = []

    /// Creates a record.
    public init(
        id: RunID, tenant: TenantID, user: String, crew: String, status: RunStatus, inputs: JSONValue,
        output: String? = nil,
        outputJSON: JSONValue? = nil, errorCode: String? = nil, errorMessage: String? = nil,
        usage: TokenUsage = TokenUsage(),
        costUSD: Double = 0, createdAt: Date = Date(), finishedAt: Date? = nil, attempts: Int = 1,
        attemptErrors: [String] = []
    ) {
        self.attempts = attempts
        self.attemptErrors = attemptErrors
        self.id = id
        self.tenant = tenant
        self.user = user
        self.crew = crew
        self.status = status
        self.inputs = inputs
        self.output = output
        self.outputJSON = outputJSON
        self.errorCode = errorCode
        self.errorMessage = errorMessage
        self.usage = usage
        self.costUSD = costUSD
        self.createdAt = createdAt
        self.finishedAt = finishedAt
    }

    /// The record updated with a finished run's result.
    public func finished(with result: RunResult, at date: Date = Date()) -> RunRecord {
        var record = self
        record.status = result.status
        record.output = result.output
        record.outputJSON = result.outputJSON
        record.errorCode = result.error?.code
        record.errorMessage = result.error?.description
        record.usage = result.usage
        record.costUSD = result.costUSD
        record.finishedAt = result.status.isFinal ? date : nil
        return record
    }
}

/// An event as stored: its number, time, agent path, kind and JSON payload.
public struct StoredEvent: Hashable, Sendable {
    /// The run.
    public var runID: RunID
    /// 1, 2, 3, ...
    public var sequence: Int
    /// When it happened.
    public var timestamp: Date
    /// `manager > writer`.
    public var agentPath: String
    /// `task_started`, ...
    public var kind: String
    /// The payload.
    public var data: JSONValue

    /// Creates a stored event.
    public init(runID: RunID, sequence: Int, timestamp: Date, agentPath: String, kind: String, data: JSONValue) {
        self.runID = runID
        self.sequence = sequence
        self.timestamp = timestamp
        self.agentPath = agentPath
        self.kind = kind
        self.data = data
    }

    /// The event as stored, from the live event.
    public init(_ event: RunEvent) {
        self.init(
            runID: event.runID, sequence: event.sequence, timestamp: event.timestamp, agentPath: event.agentPathText,
            kind: event.kindName, data: event.payload)
    }

    /// The event as JSON.
    public var json: JSONValue {
        [
            "run_id": .string(runID.rawValue), "sequence": .int(sequence),
            "timestamp": .string(timestamp.formatted(.iso8601)),
            "agent_path": .string(agentPath), "kind": .string(kind), "data": data,
        ]
    }
}

/// The port to persisted runs, task outputs and events. Reads are scoped to a tenant.
public protocol RunStore: Sendable {
    /// Stores a new run.
    func insert(_ run: RunRecord) async throws
    /// Replaces a run's record.
    func update(_ run: RunRecord) async throws
    /// Appends an event of a run.
    func append(_ event: RunEvent) async throws
    /// Stores a run's task outputs.
    func saveTasks(_ tasks: [TaskOutput], of run: RunID) async throws
    /// The run, if it belongs to `tenant` (nil tenant: any, for operators).
    func run(_ id: RunID, tenant: TenantID?) async throws -> RunRecord?
    /// Runs newest first, filtered (a nil filter matches every run; `user` is the user who started the run).
    func runs(
        tenant: TenantID?, user: String?, status: RunStatus?, crew: String?, limit: Int, offset: Int
    ) async throws -> [RunRecord]
    /// A run's task outputs in order.
    func tasks(of run: RunID) async throws -> [TaskOutput]
    /// A run's events after `sequence`, in order.
    func events(of run: RunID, after sequence: Int) async throws -> [StoredEvent]
    /// Counts runs matching a filter (as ``runs(tenant:user:status:crew:limit:offset:)`` filters).
    func count(tenant: TenantID?, user: String?, status: RunStatus?, crew: String?) async throws -> Int
    /// The number of the run's last stored event (0 when it has none): a later attempt numbers on from here.
    func lastEventSequence(of run: RunID) async throws -> Int
}

/// An ``EventSink`` that stores every event (failures to store are counted, not thrown).
public struct RunStoreEventSink: EventSink {
    /// The store.
    public let store: any RunStore

    /// Creates a sink.
    public init(store: any RunStore) { self.store = store }

    /// The store keeps no text deltas.
    public var wantsTextDeltas: Bool { false }

    /// Appends the event, dropping the streamed text deltas (the final outputs carry the text).
    public func emit(_ event: RunEvent) async {
        if case .textDelta = event.kind { return }
        try? await store.append(event)
    }
}
