import Foundation

extension AgentLoop {
    /// Carries out a turn's decided calls: mistakes are told (their events first, in call order), new calls run
    /// concurrently, repeats are answered from the earlier result. Returns the tool messages in call order and the
    /// mistakes counted.
    func carryOut(_ planned: [PlannedCall], previous: inout [String: String]) async throws -> ([Message], Int) {
        for item in planned {
            if case .mistake(let mistake) = item.action { await state.emit(path, mistake.event(for: item.call)) }
        }

        // Run the new calls concurrently.
        var fresh: [String: (content: String, isError: Bool)] = [:]
        var suspension: EngineError?
        try await withThrowingTaskGroup(of: CallOutcome.self) { group in
            for item in planned {
                guard case .run(let name, let arguments) = item.action,
                    let offered = tools.first(where: { $0.modelName == name })
                else {
                    continue
                }
                let key = PlannedCall.key(tool: name, arguments: arguments)
                group.addTask {
                    do {
                        let (content, isError) = try await execute(offered, arguments: arguments, call: item.call)
                        return .done(key: key, content: content, isError: isError)
                    } catch EngineError.awaitingApproval(let id) {
                        // A call that stops the run to wait for a human lets its siblings finish (and be journaled):
                        // cancelling a write in flight would leave it uncertain.
                        return .suspended(approvalID: id)
                    }
                }
            }
            for try await outcome in group {
                switch outcome {
                case .done(let key, let content, let isError): fresh[key] = (content, isError)
                case .suspended(let id): suspension = suspension ?? .awaitingApproval(approvalID: id)
                }
            }
        }
        if let suspension { throw suspension }

        var messages: [Message] = []
        var mistakes = 0
        for item in planned {
            let call = item.call
            switch item.action {
            case .mistake(let mistake):
                mistakes += 1
                messages.append(
                    .tool(callID: call.id, name: call.name, content: mistake.answer(to: call), isError: true))
            case .run(let name, let arguments):
                let key = PlannedCall.key(tool: name, arguments: arguments)
                let result = fresh[key]!
                if result.isError { mistakes += 1 } else { previous[key] = result.content }
                messages.append(
                    .tool(callID: call.id, name: call.name, content: result.content, isError: result.isError))
            case .repeatOf(let key):
                let earlier = previous[key] ?? fresh[key]?.content ?? ""
                await state.emit(
                    path,
                    .toolFinished(
                        callID: call.id, tool: call.name, outcome: .repeated, durationMS: 0,
                        result: "answered from the earlier identical call"))
                messages.append(
                    .tool(
                        callID: call.id, name: call.name,
                        content: earlier
                            + "\n\n(Note: you already made this exact call with the same arguments; this is the earlier result. Use it rather than calling again.)",
                        isError: false))
            }
        }
        return (messages, mistakes)
    }

    /// Journals a tool call's result (what the model reads) before the run goes on.
    private func journalTool(_ key: String, content: String, isError: Bool) async throws {
        guard let journal = state.journal else { return }
        do {
            try await journal.record(.tool, key: key, data: ["content": .string(content), "is_error": .bool(isError)])
        } catch {
            throw EngineError.journalUnavailable(String(describing: error))
        }
    }

    /// Waits for a human's decision on a call that needs approval; returns the refusal text when it is not approved.
    private func awaitApproval(_ spec: ToolSpec, call: ToolCall, id: String?) async throws -> String? {
        guard let gate = environment.approvals else {
            await state.emit(
                path,
                .toolDenied(
                    callID: call.id, tool: spec.id.rawValue,
                    reason: "needs human approval, and no approval channel is configured", arguments: call.arguments))
            return
                "Error: \(call.name) needs a human's approval, and approvals are not available here. Continue without it."
        }
        let request = ApprovalRequest(
            id: id ?? UUID().uuidString.lowercased(), runID: state.runID, principal: principal, agent: agent.id,
            tool: spec.id,
            arguments: await state.redactArguments(call.arguments), requestedAt: environment.time.now)
        await state.emit(
            path,
            .awaitingApproval(
                approvalID: request.id, callID: call.id, tool: spec.id.rawValue, arguments: call.arguments))
        let decision: ApprovalDecision
        do {
            decision = try await gate.decide(request)
        } catch is CancellationError {
            throw EngineError.cancelled
        } catch let suspended as ApprovalSuspended {
            throw EngineError.awaitingApproval(approvalID: suspended.approvalID)
        }
        await state.emit(
            path,
            .approvalDecided(
                approvalID: request.id, tool: spec.id.rawValue, approved: decision.approved, by: decision.by,
                comment: decision.comment))
        guard !decision.approved else { return nil }
        let reason =
            decision.expired
            ? "the approval request expired without a decision"
            : "a human rejected it" + (decision.comment.isEmpty ? "" : ": \(decision.comment)")
        return "Error: \(call.name) was not approved (\(reason)). Do not retry it; continue without it."
    }

    /// How one tool call of a turn ended.
    private enum CallOutcome: Sendable {
        case done(key: String, content: String, isError: Bool)
        case suspended(approvalID: String)
    }

    /// Runs one call in an `execute_tool <name>` span; failures the model can read become error results.
    private func execute(_ offered: OfferedTool, arguments: JSONValue, call: ToolCall) async throws -> (String, Bool) {
        try await traced(offered, call: call) { try await executeUntraced(offered, arguments: arguments, call: call) }
    }

    private func executeUntraced(
        _ offered: OfferedTool, arguments: JSONValue, call: ToolCall
    ) async throws -> (String, Bool) {
        let started = environment.time.stopwatch()
        let toolName: String
        var content: String
        var isError = false
        var data: JSONValue?
        switch offered.handler {
        case .tool(let tool):
            toolName = tool.spec.id.rawValue
            switch try await runRegistered(tool, arguments: arguments, call: call) {
            case .refused(let refusal): return (refusal, true)
            case .answered(let text, let failed, let structured): (content, isError, data) = (text, failed, structured)
            }
        case .synthesized(let run):
            toolName = call.name
            await state.emit(path, .toolStarted(callID: call.id, tool: toolName, arguments: call.arguments))
            do {
                content = try await run(arguments, call.id).content
            } catch let error as ToolError {
                content = "Error: \(error.message)"
                isError = true
            }
        }
        if case .tool = offered.handler, let audit = environment.audit {
            // Audited before the model reads the result: a call the audit log does not have is a failed call.
            let entry = AuditEntry(
                time: environment.time.now, tenant: principal.tenant, user: principal.user,
                roles: principal.roles.map(\.rawValue).sorted(), runID: state.runID,
                agent: path.joined(separator: " > "),
                tool: toolName, outcome: isError ? "failed" : "allowed",
                durationMS: Int(started.elapsed.seconds * 1000), arguments: await state.redactArguments(call.arguments),
                detail: isError ? Redactor().redact(String(content.prefix(500))) : "")
            do {
                try await audit.appendAudit(entry)
            } catch {
                await state.emit(
                    path,
                    .toolFinished(
                        callID: call.id, tool: toolName, outcome: .error,
                        durationMS: Int(started.elapsed.seconds * 1000),
                        result: "the call could not be audited: \(error)", data: nil))
                throw EngineError.auditUnavailable(String(describing: error))
            }
        }
        if content.count > Self.maxToolResultCharacters {
            content =
                String(content.prefix(Self.maxToolResultCharacters))
                + "\n\n(Result cut at \(Self.maxToolResultCharacters) characters.)"
        }
        await state.emit(
            path,
            .toolFinished(
                callID: call.id, tool: toolName, outcome: isError ? .error : .success,
                durationMS: Int(started.elapsed.seconds * 1000), result: String(content.prefix(2000)), data: data))
        return (content, isError)
    }

    /// How a registered tool's call ended.
    private enum RegisteredOutcome {
        /// The tool answered (or an earlier attempt's answer was found in the journal, without structured data).
        case answered(String, isError: Bool, data: JSONValue? = nil)
        /// A human (or the expiry) did not approve it; nothing was sent.
        case refused(String)
    }

    /// A registered tool's call, made durable: answered from the journal when an earlier attempt has it, approvals
    /// asked, the start of a write journaled before it is sent, and the result journaled before the run goes on.
    private func runRegistered(_ tool: any Tool, arguments: JSONValue, call: ToolCall) async throws -> RegisteredOutcome
    {
        let toolName = tool.spec.id.rawValue
        var journalKey = JournalSession.key(tool: toolName, arguments: arguments)
        var idempotencyKey: String?
        var approved = false
        if let journal = state.journal {
            let claim = await journal.claimTool(key: journalKey)
            journalKey = claim.key
            idempotencyKey = claim.idempotencyKey
            if let recorded = claim.result, let text = recorded["content"]?.stringValue {
                // An earlier attempt ran (or was refused) this call: the journaled result stands; nothing runs twice.
                await state.emit(path, .toolStarted(callID: call.id, tool: toolName, arguments: call.arguments))
                return .answered(text, isError: recorded["is_error"] == true)
            }
            if claim.uncertain {
                // Sent by an earlier attempt, never answered: a human decides whether it goes out again.
                guard environment.uncertainSideEffects == .askApproval, environment.approvals != nil else {
                    throw EngineError.uncertainSideEffect(tool: toolName)
                }
                // A new question (its own id): an earlier approval of the first send does not cover sending it again.
                // Asked again in each attempt that finds the call unanswered: an approval given once covers one send.
                if let refusal = try await awaitApproval(
                    tool.spec, call: call, id: idempotencyKey.map { "\($0)-again-\(claim.attempt)" })
                {
                    try await journalTool(journalKey, content: refusal, isError: true)
                    return .refused(refusal)
                }
                approved = true
            }
        }
        var mustApprove = false
        if !approved, let recording = environment.toolRecording {
            // A replay: the recorded run's result stands in for the call, so nothing is sent again.
            switch await recording.answer(tool.spec, arguments: arguments) {
            case .recorded(let text, let failed):
                await state.emit(path, .toolStarted(callID: call.id, tool: toolName, arguments: call.arguments))
                try await journalTool(journalKey, content: text, isError: failed)
                return .answered(text, isError: failed)
            case .refused(let reason):
                await state.emit(
                    path, .toolDenied(callID: call.id, tool: toolName, reason: reason, arguments: call.arguments))
                let refusal = "Error: \(call.name) was not called: \(reason). Continue without it."
                try await journalTool(journalKey, content: refusal, isError: true)
                return .refused(refusal)
            case .liveAfterApproval: mustApprove = true
            case .live: break
            }
        }
        if !approved, !mustApprove {
            mustApprove = await environment.policy.requiresApproval(tool.spec, agent: agent, principal: principal)
        }
        if !approved, mustApprove,
            let refusal = try await awaitApproval(tool.spec, call: call, id: idempotencyKey)
        {
            try await journalTool(journalKey, content: refusal, isError: true)
            return .refused(refusal)
        }
        if tool.spec.access != .read, let journal = state.journal {
            do { try await journal.record(.toolStarted, key: journalKey, data: ["tool": .string(toolName)]) } catch {
                throw EngineError.journalUnavailable(String(describing: error))
            }
        }
        await state.emit(path, .toolStarted(callID: call.id, tool: toolName, arguments: call.arguments))
        let (content, isError, data) = try await invoke(tool, arguments: arguments, idempotencyKey: idempotencyKey)
        try await journalTool(journalKey, content: content, isError: isError)
        return .answered(content, isError: isError, data: data)
    }

    /// Calls the tool; its failures become text the model reads, except cancellation and engine errors. Returns the
    /// text, whether it is an error, and the result's structured data.
    private func invoke(
        _ tool: any Tool, arguments: JSONValue, idempotencyKey: String?
    ) async throws -> (
        String, Bool, JSONValue?
    ) {
        // Every secret the tool reads is registered with the run, so its result (what the model reads, the journal,
        // events) never carries one, in any form, even when the service echoes it back.
        let context = ToolContext(
            runID: state.runID, agent: agent.id, principal: principal,
            secrets: environment.secrets.map { RunSecretStore.wrapping($0, state: state) },
            knowledgeCollections: agent.knowledge,
            idempotencyKey: idempotencyKey, registerSecret: { [state] in await state.registerSecret($0) })
        let content: String
        var isError = false
        var data: JSONValue?
        do {
            let result = try await tool.call(arguments, context: context)
            (content, data) = (result.content, result.data)
        } catch let error as ToolError {
            content = "Error: \(error.description)"
            isError = true
        } catch is CancellationError {
            throw EngineError.cancelled
        } catch let error as EngineError {
            throw error
        } catch {
            content = "Error: the tool failed: \(error)"
            isError = true
        }
        return (await state.redactSecrets(content), isError, data)
    }
}
