/// What an agent is given for one task: built by one function for the run and for the dry run, so `--dry-run`
/// shows exactly what the model will see.
struct TaskPrompt: Sendable {
    /// Who runs the task (the manager in hierarchical crews), placeholders filled.
    var worker: AgentDefinition
    /// The tools offered (the delegation tools for a manager).
    var tools: [OfferedTool]
    /// The system prompt.
    var system: String
    /// The task prompt.
    var user: String
}

extension Execution {
    /// The prompt and tools for `task`, given the earlier outputs it sees; delegation charges `meter`.
    func prompt(for task: CrewTask, context: [PromptBuilder.ContextItem], meter: UsageMeter) async -> TaskPrompt {
        let description = render(task.description)
        let expected = render(task.expectedOutput)
        let worker: AgentDefinition
        let tools: [OfferedTool]
        switch crew.process {
        case .sequential:
            worker = PromptBuilder.render(agents(task.agent!)!, values: values)
            var own = await offeredTools(for: worker, override: task.tools)
            // `allow_delegation`: the crew's other agents as coworkers, one level deep.
            let coworkers = crew.agents.filter { $0 != worker.id }.compactMap {
                agents($0).map { PromptBuilder.render($0, values: values) }
            }
            if worker.allowDelegation, !coworkers.isEmpty {
                own += delegationTools(
                    coworkers: coworkers, coworkerTools: nil, manager: worker, expectedOutput: expected, meter: meter)
            }
            tools = own
        case .hierarchical:
            worker = manager()
            // A task's `tools` override is what the coworker doing it is offered.
            tools = delegationTools(
                coworkers: coworkers(for: task), coworkerTools: task.tools, manager: worker, expectedOutput: expected,
                meter: meter)
        }
        let knowledge = await knowledgeText(for: worker, query: description + "\n" + expected)
        let user = PromptBuilder.task(
            description: description, expectedOutput: expected, context: context, outputSchema: task.outputSchema,
            knowledge: knowledge)
        return TaskPrompt(worker: worker, tools: tools, system: PromptBuilder.system(for: worker), user: user)
    }

    /// `text` with the run's input values in its `{placeholders}`.
    func render(_ text: String) -> String { Template.render(text, values: values).text }

    /// The agent's most relevant knowledge for `query`, within the token budget, with citations.
    func knowledgeText(for agent: AgentDefinition, query: String) async -> String? {
        guard !agent.knowledge.isEmpty, let retriever = environment.knowledge else { return nil }
        let snippets = await retriever.search(query, collections: agent.knowledge, tenant: principal.tenant, limit: 8)
        let section = PromptBuilder.knowledgeSection(snippets, tokenBudget: environment.knowledgeTokenBudget)
        return section.used.isEmpty ? nil : section.text
    }

    /// The tools offered to `agent` (or the task's override): registered, and allowed by policy.
    func offeredTools(for agent: AgentDefinition, override: [ToolID]?) async -> [OfferedTool] {
        var offered: [OfferedTool] = []
        var tools: [any Tool] = []
        for entry in override ?? agent.tools {
            tools += await environment.tools.tools(for: entry, principal: principal)
        }
        for tool in tools {
            let id = tool.spec.id
            let name = ToolNaming.modelName(id)
            guard !offered.contains(where: { $0.modelName == name }) else { continue }
            guard case .allow = await environment.policy.decide(tool.spec, agent: agent, principal: principal) else {
                continue
            }
            offered.append(
                OfferedTool(
                    modelName: name,
                    chatTool: ChatTool(
                        name: name, description: tool.spec.description, parameters: tool.spec.parameters),
                    handler: .tool(tool)))
        }
        return offered
    }

    /// The crew's manager agent, or the built-in manager.
    func manager() -> AgentDefinition {
        if let id = crew.manager, let agent = agents(id) { return PromptBuilder.render(agent, values: values) }
        return AgentDefinition(
            id: "manager", name: "Crew Manager", category: "orchestration", role: "Crew Manager",
            goal:
                "Get the task done to the expected standard by delegating to the right coworkers and checking their work.",
            backstory:
                "You are an experienced manager who gets the best out of a team. You split work into clear assignments, give each coworker everything they need to know (they cannot see this conversation), review what comes back critically against the expected output, and ask for rework when it falls short. You write the final answer yourself, using your coworkers' results.",
            model: crew.managerModel ?? environment.defaultManagerModel, temperature: 0.3, maxIterations: 15,
            allowDelegation: true)
    }

    /// The coworkers a task may use: the task's agent only when it names one.
    func coworkers(for task: CrewTask) -> [AgentDefinition] {
        let ids = task.agent.map { [$0] } ?? crew.agents
        return ids.compactMap { agents($0).map { PromptBuilder.render($0, values: values) } }
    }
}
