// Test double of an ONVIF camera: the fake device of services/simulate (SOAP over node:http, WS-Security and Digest,
// skewed clock, faults) plus a WS-Discovery responder, to be run only inside a private network namespace.
import { createSocket, type Socket } from 'node:dgram';
import { randomUUID } from 'node:crypto';
import { FakeOnvifCamera, type FakeOnvifOptions } from '../../services/simulate/onvif-device.ts';

export { FakeOnvifCamera, type FakeAuth, type FakeOnvifOptions, type FaultMode, type OnvifCall } from '../../services/simulate/onvif-device.ts';

/** A started fake camera on 127.0.0.1 and a free port. */
export async function startOnvifDouble(options: FakeOnvifOptions): Promise<FakeOnvifCamera> {
  return new FakeOnvifCamera(options).start();
}

export interface DiscoveryResponderOptions {
  xaddrs: string[];
  name: string;
  location?: string;
  urn?: string;
}

export interface DiscoveryResponder {
  /** Probes received. */
  probes: number;
  stop(): Promise<void>;
}

function probeMatches(relatesTo: string, o: DiscoveryResponderOptions, urn: string): string {
  const scopes = ['onvif://www.onvif.org/Profile/Streaming', `onvif://www.onvif.org/name/${encodeURIComponent(o.name)}`];
  if (o.location !== undefined) scopes.push(`onvif://www.onvif.org/location/${encodeURIComponent(o.location)}`);
  return (
    '<?xml version="1.0" encoding="UTF-8"?><SOAP-ENV:Envelope xmlns:SOAP-ENV="http://www.w3.org/2003/05/soap-envelope" ' +
    'xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" ' +
    'xmlns:dn="http://www.onvif.org/ver10/network/wsdl"><SOAP-ENV:Header>' +
    `<wsa:MessageID>urn:uuid:${randomUUID()}</wsa:MessageID><wsa:RelatesTo>${relatesTo}</wsa:RelatesTo>` +
    '<wsa:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</wsa:To>' +
    '<wsa:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches</wsa:Action></SOAP-ENV:Header><SOAP-ENV:Body>' +
    `<d:ProbeMatches><d:ProbeMatch><wsa:EndpointReference><wsa:Address>${urn}</wsa:Address></wsa:EndpointReference>` +
    `<d:Types>dn:NetworkVideoTransmitter</d:Types><d:Scopes>${scopes.join(' ')}</d:Scopes><d:XAddrs>${o.xaddrs.join(' ')}</d:XAddrs>` +
    '<d:MetadataVersion>1</d:MetadataVersion></d:ProbeMatch></d:ProbeMatches></SOAP-ENV:Body></SOAP-ENV:Envelope>'
  );
}

/**
 * Answers WS-Discovery probes on 239.255.255.250:3702. Multicast goes out of real interfaces: call this only
 * in a throw-away network namespace (`unshare -n` with lo up and a 224.0.0.0/4 route on lo).
 */
export async function startDiscoveryResponder(o: DiscoveryResponderOptions): Promise<DiscoveryResponder> {
  const urn = o.urn ?? `urn:uuid:${randomUUID()}`;
  const socket: Socket = createSocket({ type: 'udp4', reuseAddr: true });
  const state: DiscoveryResponder = {
    probes: 0,
    stop: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
  socket.on('message', (msg, rinfo) => {
    const text = msg.toString('utf8');
    if (!/Probe\b/.test(text) || /ProbeMatches/.test(text)) return;
    state.probes += 1;
    const id = /<(?:\w+:)?MessageID[^>]*>([^<]+)</.exec(text)?.[1] ?? '';
    socket.send(probeMatches(id, o, urn), rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(3702, () => {
      socket.addMembership('239.255.255.250');
      resolve();
    });
  });
  return state;
}
