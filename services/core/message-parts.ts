// A generated message as data: a code and its values (plain JSON), rendered in any language by
// services/rules/message-text.ts. Apart from contracts.ts so that the dashboard (no Node types) can import it.
export interface MessageParts {
  code: string;
  values: Record<string, unknown>;
}
