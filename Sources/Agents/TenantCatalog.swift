import AgentRuntime
import Foundation

/// The tenant files of a `tenants/` directory, validated with the same located diagnostics as agents.
public struct TenantCatalog: Sendable {
    /// Tenants that loaded, by id.
    public let tenants: [TenantID: TenantDefinition]
    /// Problems found.
    public let diagnostics: [Diagnostic]

    /// Creates a catalog.
    public init(tenants: [TenantID: TenantDefinition], diagnostics: [Diagnostic]) {
        self.tenants = tenants
        self.diagnostics = diagnostics
    }

    /// Every field of a tenant file.
    public static let allowed = [
        "$schema", "id", "name", "connectors", "tool_deny", "allowed_agents", "allowed_categories", "limits",
        "rate_limit", "approvals", "approval_tools", "approver_roles", "mcp_servers",
    ]

    /// Fields of a tenant's `limits`: the run limits, and spend caps over a day and a month.
    public static let limitsAllowed =
        RuntimeConfigLoader.limitsAllowed + [
            "max_cost_usd_per_day", "max_cost_usd_per_month",
        ]

    /// Checks one connector setting as a tenant file gives it: `(connector, setting, value)` → what is wrong, or nil.
    /// The connectors know their settings (the composition root passes theirs); the problem is reported at the value.
    public typealias SettingsCheck = @Sendable (_ connector: String, _ setting: String, _ value: String) -> String?

    /// Loads `directory/*.json` (a missing directory is an empty catalog); `settingsCheck` checks connector settings.
    ///
    /// `definitions` are the connectors defined by files (shipped and the catalog's): a tenant's entry for one is
    /// checked against it — settings declared, matching their `pattern`, required ones given; secret names declared.
    public static func load(
        _ directory: URL, knownTools: Set<ToolID>, displayBase: URL? = nil, settingsCheck: SettingsCheck? = nil,
        definitions: [ConnectorDefinition] = []
    ) -> TenantCatalog {
        // Listed through a symlinked folder (a ConfigMap volume), named under `directory` itself; hidden entries
        // (the volume's `..data`) are skipped, their files are read through the visible links.
        let files =
            ((try? FileManager.default.contentsOfDirectory(atPath: directory.resolvingSymlinksInPath().path)) ?? [])
            .filter { !$0.hasPrefix(".") }.sorted().map { directory.appendingPathComponent($0) }
            .filter { $0.pathExtension == "json" }
        var tenants: [TenantID: TenantDefinition] = [:]
        var diagnostics: [Diagnostic] = []
        for file in files {
            var display = file.standardizedFileURL.path
            if let base = displayBase?.standardizedFileURL.path, display.hasPrefix(base + "/") {
                display = String(display.dropFirst(base.count + 1))
            }
            let (tenant, found) = decode(
                (try? Data(contentsOf: file)).map { [UInt8]($0) }, displayPath: display,
                stem: file.deletingPathExtension().lastPathComponent, knownTools: knownTools,
                settingsCheck: settingsCheck, definitions: definitions)
            diagnostics += found
            if let tenant, !found.contains(where: { $0.severity == .error }) { tenants[tenant.id] = tenant }
        }
        return TenantCatalog(tenants: tenants, diagnostics: diagnostics)
    }

    /// Decodes one tenant file; `settingsCheck` checks connector settings.
    public static func decode(
        _ bytes: [UInt8]?, displayPath: String, stem: String, knownTools: Set<ToolID>,
        settingsCheck: SettingsCheck? = nil, definitions: [ConnectorDefinition] = []
    ) -> (TenantDefinition?, [Diagnostic]) {
        let knownTools = knownTools.union(definitions.flatMap(\.specs).map(\.id))
        let (parsed, problems) = DefinitionReader.parse(bytes, displayPath: displayPath)
        guard let document = parsed else { return (nil, problems) }
        var reader = DefinitionReader(file: displayPath, document: document)
        guard
            let fields = reader.object(
                document.root, at: .root, what: "tenant", allowed: allowed, required: ["id", "name"])
        else { return (nil, reader.diagnostics) }
        _ = reader.string(fields, "$schema")
        let id = reader.string(fields, "id")
        if let id, let member = fields["id"] {
            if !IdentifierRules.isValidDefinitionID(id) {
                reader.error(
                    .invalidFormat, "tenant id \"\(id)\" must be 2–64 characters of lower-case letters, digits and '-'",
                    at: member.value.offset, JSONPointer.root.appending("id"))
            } else if id != stem {
                reader.error(
                    .idMismatch, "id \"\(id)\" does not match the file name \"\(stem).json\"", at: member.value.offset,
                    JSONPointer.root.appending("id"))
            }
        }
        let name = reader.string(fields, "name")
        let connectorNames = Set(knownTools.map(\.connector)).subtracting(["knowledge", "calculator"])
        var connectors: [String: TenantDefinition.Connector] = [:]
        if let member = fields["connectors"] {
            let pointer = JSONPointer.root.appending("connectors")
            if case .object(let entries) = member.value.content {
                for entry in entries {
                    let entryPointer = pointer.appending(entry.key)
                    guard connectorNames.contains(entry.key) else {
                        reader.error(
                            .unknownTool,
                            "unknown connector \"\(entry.key)\"\(NameSuggestion.didYouMean(entry.key, in: connectorNames)) (connectors: \(connectorNames.sorted().joined(separator: ", ")))",
                            at: entry.keyOffset, entryPointer)
                        continue
                    }
                    guard
                        let connectorFields = reader.object(
                            entry.value, at: entryPointer, what: "connector \"\(entry.key)\"",
                            allowed: ["settings", "secrets"], required: [])
                    else { continue }
                    let settings = reader.stringMap(connectorFields, "settings")
                    if let settingsCheck, case .object(let given)? = connectorFields["settings"]?.value.content {
                        for setting in given {
                            guard let value = settings[setting.key],
                                let problem = settingsCheck(entry.key, setting.key, value)
                            else { continue }
                            reader.error(
                                .invalidValue, "\(entry.key) setting \"\(setting.key)\": \(problem)",
                                at: setting.value.offset, entryPointer.appending("settings").appending(setting.key))
                        }
                    }
                    var secrets = reader.stringMap(connectorFields, "secrets")
                    for (secretName, path) in secrets where !Self.isSecretReference(path) {
                        let offset = connectorFields["secrets"]?.value.offset ?? entry.keyOffset
                        // Never echo the value: it may be a real credential pasted by mistake.
                        reader.error(
                            .invalidFormat,
                            "secret \"\(secretName)\" must be a reference path in the tenant's secret store (like \(entry.key)/\(secretName)), never the secret itself",
                            at: offset, entryPointer.appending("secrets").appending(secretName))
                        secrets[secretName] = nil
                    }
                    if let definition = definitions.last(where: { $0.id == entry.key }) {
                        reader.checkDefinedConnector(
                            definition, settings: settings, secrets: secrets, fields: connectorFields,
                            at: entry.keyOffset, entryPointer)
                    }
                    connectors[entry.key] = TenantDefinition.Connector(settings: settings, secrets: secrets)
                }
            } else {
                reader.typeMismatch(
                    member.value, expected: "an object of connectors", at: pointer, what: "\"connectors\"")
            }
        }
        let deny = Set(
            reader.toolList(
                fields, "tool_deny", references: ReferenceSets(knownTools: knownTools, knowledgeCollections: nil)))
        let agents = reader.stringArray(fields, "allowed_agents").map { Set($0.map { AgentID($0.value) }) }
        let categories = reader.stringArray(fields, "allowed_categories").map { Set($0.map(\.value)) }
        var limits: RunLimits?
        var caps = SpendCaps()
        if let member = fields["limits"] {
            let pointer = JSONPointer.root.appending("limits")
            limits = reader.limits(member.value, at: pointer, allowed: Self.limitsAllowed)
            var quiet = reader  // the fields again, without reporting twice what `limits` reported
            if let limitFields = quiet.object(
                member.value, at: pointer, what: "limits", allowed: Self.limitsAllowed, required: [])
            {
                caps.perDayUSD = reader.number(limitFields, "max_cost_usd_per_day", range: 0...10_000_000)
                caps.perMonthUSD = reader.number(limitFields, "max_cost_usd_per_month", range: 0...100_000_000)
            }
        }
        var approvals = ApprovalPolicy.writes
        if let member = fields["approvals"], let text = reader.string(fields, "approvals") {
            if let policy = ApprovalPolicy(rawValue: text) {
                approvals = policy
            } else {
                let names = ApprovalPolicy.allCases.map(\.rawValue)
                reader.error(
                    .invalidValue,
                    "approvals \"\(text)\" is not a policy\(NameSuggestion.didYouMean(text, in: Set(names))) (policies: \(names.joined(separator: ", ")))",
                    at: member.value.offset, JSONPointer.root.appending("approvals"))
            }
        }
        let approvalTools = Set(
            reader.toolList(
                fields, "approval_tools",
                references: ReferenceSets(knownTools: knownTools, knowledgeCollections: nil)))
        var approverRoles: Set<Role> = [.tenantAdmin]
        if let names = reader.stringArray(fields, "approver_roles") {
            approverRoles = []
            for name in names {
                guard let role = Role(rawValue: name.value) else {
                    let roles = Role.allCases.map(\.rawValue)
                    reader.error(
                        .invalidValue,
                        "unknown role \"\(name.value)\"\(NameSuggestion.didYouMean(name.value, in: Set(roles))) (roles: \(roles.joined(separator: ", ")))",
                        at: name.offset, name.pointer)
                    continue
                }
                approverRoles.insert(role)
            }
        }
        let mcpServers = reader.mcpServers(fields)
        let rateLimit = fields["rate_limit"].flatMap {
            reader.rateLimit($0.value, at: JSONPointer.root.appending("rate_limit"))
        }
        guard let id, let name, !reader.hasErrors else { return (nil, reader.diagnostics) }
        var tenant = TenantDefinition(
            id: TenantID(id), name: name, connectors: connectors, toolDeny: deny, allowedAgents: agents,
            allowedCategories: categories, limits: limits, rateLimit: rateLimit)
        tenant.approvals = approvals
        tenant.approvalTools = approvalTools
        tenant.approverRoles = approverRoles
        tenant.spendCaps = caps
        tenant.mcpServers = mcpServers
        return (tenant, reader.diagnostics)
    }

    /// A path like `wordpress/app_password` (not something shaped like a key).
    static func isSecretReference(_ text: String) -> Bool {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count >= 2,
            parts.allSatisfy({
                !$0.isEmpty && $0 != ".." && $0.allSatisfy { $0.isLetter || $0.isNumber || "-_.".contains($0) }
            })
        else { return false }
        return Redactor().redact(text) == text
    }
}

extension DefinitionReader {
    /// An object of string values.
    mutating func stringMap(_ fields: Fields, _ key: String) -> [String: String] {
        guard let member = fields[key] else { return [:] }
        let pointer = fields.pointer.appending(key)
        guard case .object(let entries) = member.value.content else {
            typeMismatch(member.value, expected: "an object of strings", at: pointer, what: "\"\(key)\"")
            return [:]
        }
        var result: [String: String] = [:]
        for entry in entries {
            if case .string(let value) = entry.value.content {
                result[entry.key] = value
            } else {
                typeMismatch(
                    entry.value, expected: "a string", at: pointer.appending(entry.key), what: "\"\(entry.key)\"")
            }
        }
        return result
    }

    /// A `limits` object (the runtime config's format).
    mutating func limits(
        _ node: JSONNode, at pointer: JSONPointer, allowed: [String] = RuntimeConfigLoader.limitsAllowed
    ) -> RunLimits? {
        guard
            let fields = object(node, at: pointer, what: "limits", allowed: allowed, required: [])
        else { return nil }
        var limits = RunLimits()
        if let value = integer(fields, "max_llm_calls", range: 1...100_000) { limits.maxLLMCalls = value }
        if let value = integer(fields, "max_tokens", range: 1...1_000_000_000) { limits.maxTokens = value }
        if let value = number(fields, "max_cost_usd", range: 0...100_000) { limits.maxCostUSD = value }
        if let value = number(fields, "max_wall_time_seconds", range: 1...604_800) { limits.maxWallTimeSeconds = value }
        if let value = integer(fields, "max_delegations", range: 0...10_000) { limits.maxDelegations = value }
        if let value = integer(fields, "max_tool_mistakes_per_task", range: 0...1000) {
            limits.maxToolMistakesPerTask = value
        }
        if let value = integer(fields, "max_output_retries", range: 0...20) { limits.maxOutputRetries = value }
        if let value = integer(fields, "max_guardrail_retries", range: 0...20) { limits.maxGuardrailRetries = value }
        return limits
    }
}
