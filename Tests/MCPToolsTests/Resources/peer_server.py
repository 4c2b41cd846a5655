"""A small MCP server built with the official Python SDK's server API (FastMCP), the runtime's client's peer.

Usage: peer_server.py PORT [json] | peer_server.py stdio
Serves Streamable HTTP at http://127.0.0.1:PORT/mcp (answers as SSE streams, or as JSON with `json`), stateful
(sessions with Mcp-Session-Id). Tools:
- lookup_order (readOnlyHint): reads an order;
- delete_order (destructiveHint): deletes one, and appends the id to the file named by PEER_LOG when set;
- whoami (readOnlyHint): echoes the Authorization header it received (a server echoing a credential);
- report (unannotated): returns structured content and a resource link;
- open_late_tool (additive write): adds late_tool and sends notifications/tools/list_changed.
"""
import os
import sys

from mcp.server.fastmcp import Context, FastMCP
from mcp.types import ResourceLink, TextContent, ToolAnnotations

stdio = sys.argv[1] == "stdio"
port = 0 if stdio else int(sys.argv[1])
json_response = len(sys.argv) > 2 and sys.argv[2] == "json"
server = FastMCP("peer", host="127.0.0.1", port=port, json_response=json_response, log_level="WARNING")


@server.tool(annotations=ToolAnnotations(readOnlyHint=True))
def lookup_order(order_id: str) -> str:
    """Look up an order by id."""
    return f"order {order_id}: 2 items, shipped"


@server.tool(annotations=ToolAnnotations(readOnlyHint=False, destructiveHint=True))
def delete_order(order_id: str) -> str:
    """Delete an order for good."""
    log = os.environ.get("PEER_LOG")
    if log:
        with open(log, "a") as handle:
            handle.write(order_id + "\n")
    return f"order {order_id} deleted"


@server.tool(annotations=ToolAnnotations(readOnlyHint=True))
def whoami(ctx: Context) -> str:
    """Tell who is calling."""
    request = ctx.request_context.request
    header = request.headers.get("authorization", "") if request is not None else ""
    return f"you sent: {header}"


@server.tool()
def report(region: str) -> list:
    """Sales report for a region."""
    return [
        TextContent(type="text", text=f"sales in {region}: 42"),
        ResourceLink(type="resource_link", uri=f"https://reports.example/{region}.pdf", name=f"{region}.pdf",
                     mimeType="application/pdf"),
    ]


@server.tool(annotations=ToolAnnotations(readOnlyHint=False, destructiveHint=False))
async def open_late_tool(ctx: Context) -> str:
    """Adds the tool late_tool and tells clients the tool list changed."""

    def late_tool() -> str:
        """A tool added while the server runs."""
        return "late"

    server.add_tool(late_tool, annotations=ToolAnnotations(readOnlyHint=True))
    await ctx.session.send_tool_list_changed()
    return "added late_tool"


if __name__ == "__main__":
    server.run(transport="stdio" if stdio else "streamable-http")
