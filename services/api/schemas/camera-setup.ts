// Setting a camera up from the dashboard: cameras found on the network, and a connection test's answer.
import { Type, type Static } from '@sinclair/typebox';

export const DiscoverBody = Type.Object({
  timeoutMs: Type.Optional(Type.Integer({ minimum: 300, maximum: 3000, description: 'How long each of the two probes listens (default 1500)' })),
}, { additionalProperties: false });
export type DiscoverBody = Static<typeof DiscoverBody>;

export const FoundCamera = Type.Object({
  urn: Type.String({ description: 'The device\'s endpoint reference' }),
  host: Type.String(),
  port: Type.Integer(),
  name: Type.Union([Type.String(), Type.Null()]),
  location: Type.Union([Type.String(), Type.Null()]),
  hardware: Type.Union([Type.String(), Type.Null()]),
  /** A camera of this store that already has this host. */
  knownAs: Type.Union([Type.String(), Type.Null()], { description: 'The store\'s camera that already uses this host, if any' }),
});
export type FoundCamera = Static<typeof FoundCamera>;

export const Discovered = Type.Object({
  cameras: Type.Array(FoundCamera, { description: 'ONVIF cameras that answered, inside the operator\'s camera networks; none of them was contacted' }),
  outside: Type.Integer({ description: 'Cameras that answered from addresses outside the operator\'s camera networks (not listed)' }),
  ms: Type.Integer(),
});
export type Discovered = Static<typeof Discovered>;

export const ConnectionTest = Type.Object({
  ok: Type.Boolean(),
  problem: Type.Union([Type.Null(), ...['unreachable', 'wrong_password', 'not_a_camera', 'address_not_allowed', 'no_address', 'faces'].map((s) => Type.Literal(s))], {
    description: 'Why no picture came: unreachable, wrong_password, not_a_camera, address_not_allowed (the operator\'s network policy), no_address (no host set), faces (a face could not be blurred)',
  }),
  message: Type.Union([Type.String(), Type.Null()], { description: 'What the problem means and what to do' }),
  snapshotAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'When the fresh picture (faces blurred) was taken: GET snapshot.jpg shows it' }),
  source: Type.Union([Type.String(), Type.Null()], { description: 'Where the picture came from, without credentials' }),
  ms: Type.Integer(),
});
export type ConnectionTest = Static<typeof ConnectionTest>;
