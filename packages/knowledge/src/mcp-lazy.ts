// The MCP server's entry points, loading the MCP SDK (with ajv and zod) only when a server is made.
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { McpOptions } from './mcp.js';

export type { McpOptions };

/** Build the MCP server (not yet connected). */
export async function createMcpServer(options: McpOptions): Promise<McpServer> {
  return (await import('./mcp.js')).createMcpServer(options);
}

/** Serve MCP on stdin/stdout until the client goes away. */
export async function serveMcp(options: McpOptions): Promise<void> {
  return (await import('./mcp.js')).serveMcp(options);
}
