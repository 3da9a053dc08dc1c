// A generated message (a violation's, a review case's reason) in the viewer's language, from the parts the server
// keeps (services/rules/message-text.ts); names from the SOP file and the model's words are marked as user text.
import type { MessageParts } from '../../../services/core/message-parts.ts';
import { renderMessage } from '../../../services/rules/message-text.ts';
import { lang } from '../i18n/index.ts';

export function Message({ parts, text }: { parts: MessageParts | null | undefined; text: string }) {
  const segments = renderMessage(parts, lang);
  // Records written before messages were kept as data only have their English text.
  if (segments === undefined) return <>{text}</>;
  return <>{segments.map((s, i) => (s.user === true ? <span key={i} data-user-text="">{s.text}</span> : s.text))}</>;
}
