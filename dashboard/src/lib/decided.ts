// Who or what decided a violation, from the API's `decidedBy` ("detector", "vlm:<provider>/<model>", "human").

export type Decider = { kind: 'detector' } | { kind: 'model'; provider: string; model: string } | { kind: 'person' } | { kind: 'other'; text: string };

export function decider(decidedBy: string): Decider {
  if (decidedBy === 'detector') return { kind: 'detector' };
  if (decidedBy === 'human' || decidedBy === 'person') return { kind: 'person' };
  if (decidedBy.startsWith('vlm:')) {
    const rest = decidedBy.slice(4);
    const slash = rest.indexOf('/');
    return slash < 0 ? { kind: 'model', provider: rest, model: '' } : { kind: 'model', provider: rest.slice(0, slash), model: rest.slice(slash + 1) };
  }
  return { kind: 'other', text: decidedBy };
}
