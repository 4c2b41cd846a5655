import AgentRuntime
import Testing
import Tools

@Suite("calculator.evaluate")
struct CalculatorToolTests {
    @Test(
        "arithmetic with precedence, parentheses, unary minus, powers and thousands separators",
        arguments: [
            ("1 + 2 * 3", "7"), ("(1200 - 950) / 950 * 100", "26.3157894737"), ("2^3^2", "512"), ("-(4 - 10) % 4", "2"),
            ("1,250.50 * 2", "2501"), ("0.1 + 0.2", "0.3"), ("3 × 4 ÷ 2", "6"),
        ])
    func evaluates(expression: String, expected: String) async throws {
        let result = try await CalculatorTool().call(
            ["expression": .string(expression)], context: ToolContext(runID: "r", agent: "a", principal: .local()))
        #expect(result.content == expected)
    }

    @Test(
        "mistakes are readable tool errors",
        arguments: [
            ("1 / 0", "division by zero"), ("2 +", "the expression ends where a number was expected"),
            ("(1 + 2", "missing \")\" at position 7"), ("2 $ 3", "unexpected \"$\" at position 3 in 2 $ 3"),
        ])
    func errors(expression: String, message: String) {
        #expect(throws: ToolError(message)) { _ = try CalculatorTool.evaluate(expression) }
    }
}
