// The plain account of an SOP file (services/rules/sop-explain.ts, -zh.ts): rule headings stand out, details are indented.

export function Explanation({ text }: { text: string }) {
  return (
    <div class="explain">
      {text.split('\n').map((line, i) => {
        const body = line.trimStart();
        if (body === '') return <div key={i} class="ex-gap" />;
        const depth = (line.length - body.length) / 2;
        if (i === 0) return <p key={i} class="ex-title">{body}</p>;
        if (depth === 0 && /^\d+\. /.test(body)) return <p key={i} class="ex-rule">{body}</p>;
        return <p key={i} class={`ex-line depth-${Math.min(3, Math.round(depth))}`}>{body}</p>;
      })}
    </div>
  );
}
