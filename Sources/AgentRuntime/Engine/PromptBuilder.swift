/// Builds the exact messages an agent gets for a task. Pure, so `--dry-run`
/// and events show precisely what a model will see.
public enum PromptBuilder {
    /// An earlier task's output shown as context.
    public struct ContextItem: Hashable, Sendable {
        /// The task it came from.
        public var task: String
        /// Its text.
        public var output: String

        /// Creates a context item.
        public init(task: String, output: String) {
            self.task = task
            self.output = output
        }
    }

    /// The system prompt: role, backstory and goal.
    public static func system(for agent: AgentDefinition) -> String {
        """
        You are \(agent.role).
        \(agent.backstory)

        Your personal goal is: \(agent.goal)

        Use the tools available to you when they help; when you have what you need, give your final answer directly.
        """
    }

    /// The task prompt: description, expected output, output schema, and context from earlier work.
    public static func task(
        description: String, expectedOutput: String, context: [ContextItem], outputSchema: JSONSchema?,
        extraContext: String? = nil,
        knowledge: String? = nil
    ) -> String {
        var text =
            "Current task: \(description)\n\nThis is the expected criteria for your final answer: \(expectedOutput)\n"
        text += "You must return the actual complete content as the final answer, not a summary."
        if let outputSchema {
            text +=
                "\n\nYour final answer must be only a JSON value that matches this JSON Schema, with no other text:\n"
            text += outputSchema.document.serialized(pretty: true)
        }
        if let extraContext, !extraContext.isEmpty {
            text += "\n\nThis is the context you're working with:\n\(extraContext)"
        }
        if let knowledge, !knowledge.isEmpty {
            text +=
                "\n\nRelevant knowledge from your collections (cite a source as [collection/file#section] when you use it):\n\n\(knowledge)"
        }
        if !context.isEmpty {
            text += "\n\nThis is the context from earlier tasks:\n"
            for item in context {
                text += "\n## Output of task \"\(item.task)\"\n\(item.output)\n"
            }
        }
        return text
    }

    /// The message asking for a final answer once the iteration limit is reached.
    /// Sent back once to a manager whose final answer on a task follows no delegation.
    public static let delegationReminder =
        "You answered without delegating. You are a manager: use delegate_work (or ask_question) to have the right coworker do the work, check what comes back, then give your final answer based on their results. Answer directly only if no coworker could possibly help."

    public static let finalAnswerNow =
        "You have reached the maximum number of steps for this task. Give your best final answer now, based on what you already have. Do not call any tools."

    /// `agent` with `{placeholders}` in role, goal and backstory filled from `values`.
    public static func render(_ agent: AgentDefinition, values: [String: String]) -> AgentDefinition {
        var rendered = agent
        rendered.role = Template.render(agent.role, values: values).text
        rendered.goal = Template.render(agent.goal, values: values).text
        rendered.backstory = Template.render(agent.backstory, values: values).text
        return rendered
    }
}
