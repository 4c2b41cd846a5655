import Foundation

/// The Python MCP client (the official `mcp` SDK's client API) the MCP server tests drive the platform with, over
/// stdio (`agentctl mcp` started as its child) or Streamable HTTP (`/mcp` on `agentctl serve`). It runs one scenario
/// and prints one JSON object on its last line of standard output.
enum MCPClientScript {
    /// Writes the script into `directory`; returns its path.
    static func write(into directory: URL) throws -> URL {
        let url = directory.appendingPathComponent("mcp_client.py")
        try source.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    /// Arguments: `stdio <command> <args…>` or `http <url> <header=value>…`, after `--scenario NAME` and
    /// `--arguments JSON` (the tool arguments), `--tool NAME`.
    static let source = #"""
        import argparse, asyncio, json, os, sys
        from datetime import timedelta

        import anyio
        from mcp import ClientSession, StdioServerParameters, types
        from mcp.client.stdio import stdio_client
        from mcp.client.streamable_http import streamablehttp_client


        def dump(value):
            return value.model_dump(mode="json", by_alias=True, exclude_none=True)


        async def scenario(session, args, out):
            await session.initialize()
            tools = await session.list_tools()
            out["tools"] = [dump(t) for t in tools.tools]
            resources = await session.list_resources()
            out["resources"] = [str(r.uri) for r in resources.resources]
            if resources.resources:
                read = await session.read_resource(resources.resources[-1].uri)
                out["read"] = read.contents[0].text
            if args.scenario == "list":
                return
            progress = []
            first = anyio.Event()

            async def on_progress(value, total, message):
                progress.append({"progress": value, "total": total, "message": message})
                if args.cancel_after and message and args.cancel_after in message:
                    first.set()

            arguments = json.loads(args.arguments)
            if args.scenario == "call":
                result = await session.call_tool(args.tool, arguments, progress_callback=on_progress)
                out["result"] = dump(result)
                out["progress"] = progress
                return
            # cancel: call, wait for the progress message, then send notifications/cancelled for the request.
            request_id = session._request_id
            out["cancelled_request"] = request_id
            outcome = {}

            async def call():
                try:
                    outcome["result"] = dump(await session.call_tool(
                        args.tool, arguments, progress_callback=on_progress,
                        read_timeout_seconds=timedelta(seconds=5)))
                except Exception as error:
                    outcome["error"] = str(error)

            async with anyio.create_task_group() as group:
                group.start_soon(call)
                with anyio.fail_after(30):
                    await first.wait()
                await session.send_notification(types.ClientNotification(types.CancelledNotification(
                    params=types.CancelledNotificationParams(requestId=request_id, reason="the user stopped it"))))
                out["sent_cancel"] = True
            out["progress"] = progress
            out["outcome"] = outcome


        async def main():
            parser = argparse.ArgumentParser()
            parser.add_argument("--scenario", default="list")
            parser.add_argument("--tool", default="")
            parser.add_argument("--arguments", default="{}")
            parser.add_argument("--cancel-after", default="")
            parser.add_argument("mode")
            parser.add_argument("target")
            parser.add_argument("rest", nargs="*")
            args = parser.parse_args()
            out = {}
            try:
                if args.mode == "stdio":
                    params = StdioServerParameters(command=args.target, args=args.rest, env=dict(os.environ), cwd=os.getcwd())
                    async with stdio_client(params) as (read, write):
                        async with ClientSession(read, write) as session:
                            await scenario(session, args, out)
                else:
                    headers = dict(item.split("=", 1) for item in args.rest)
                    async with streamablehttp_client(args.target, headers=headers, timeout=30) as (read, write, _):
                        async with ClientSession(read, write) as session:
                            await scenario(session, args, out)
            except BaseException as error:
                out["failure"] = repr(error)
                if hasattr(error, "exceptions"):
                    out["failure"] += " " + repr(list(error.exceptions))
            print(json.dumps(out), flush=True)


        asyncio.run(main())
        """#
}
