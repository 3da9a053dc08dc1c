// SOAP 1.2 answers of a fake ONVIF Profile S camera: just the element names and nesting the `onvif` client reads.

export interface SoapProfile {
  token: string;
  name: string;
  width: number;
  height: number;
  fps: number;
}

const NS =
  'xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:tds="http://www.onvif.org/ver10/device/wsdl" ' +
  'xmlns:trt="http://www.onvif.org/ver10/media/wsdl" xmlns:tt="http://www.onvif.org/ver10/schema" ' +
  'xmlns:ter="http://www.onvif.org/ver10/error"';

export function envelope(body: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><s:Envelope ${NS}><s:Body>${body}</s:Body></s:Envelope>`;
}

export function xmlEscape(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function fault(code: 'Sender' | 'Receiver', subcode: string, reason: string): string {
  return envelope(
    `<s:Fault><s:Code><s:Value>s:${code}</s:Value><s:Subcode><s:Value>ter:${subcode}</s:Value></s:Subcode></s:Code>` +
      `<s:Reason><s:Text xml:lang="en">${xmlEscape(reason)}</s:Text></s:Reason></s:Fault>`,
  );
}

export function systemDateAndTime(at: Date): string {
  return envelope(
    '<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime><tt:DateTimeType>Manual</tt:DateTimeType>' +
      '<tt:DaylightSavings>false</tt:DaylightSavings><tt:TimeZone><tt:TZ>UTC0</tt:TZ></tt:TimeZone><tt:UTCDateTime>' +
      `<tt:Time><tt:Hour>${at.getUTCHours()}</tt:Hour><tt:Minute>${at.getUTCMinutes()}</tt:Minute><tt:Second>${at.getUTCSeconds()}</tt:Second></tt:Time>` +
      `<tt:Date><tt:Year>${at.getUTCFullYear()}</tt:Year><tt:Month>${at.getUTCMonth() + 1}</tt:Month><tt:Day>${at.getUTCDate()}</tt:Day></tt:Date>` +
      '</tt:UTCDateTime></tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>',
  );
}

export function services(base: string): string {
  // Two services at least: the client's parser collapses a single-element list and falls back to GetCapabilities.
  const svc = (ns: string, path: string): string =>
    `<tds:Service><tds:Namespace>${ns}</tds:Namespace><tds:XAddr>${base}${path}</tds:XAddr><tds:Version><tt:Major>2</tt:Major><tt:Minor>60</tt:Minor></tds:Version></tds:Service>`;
  return envelope(
    `<tds:GetServicesResponse>${svc('http://www.onvif.org/ver10/device/wsdl', '/onvif/device_service')}${svc('http://www.onvif.org/ver10/media/wsdl', '/onvif/media_service')}</tds:GetServicesResponse>`,
  );
}

export function capabilities(base: string): string {
  return envelope(
    `<tds:GetCapabilitiesResponse><tds:Capabilities><tt:Device><tt:XAddr>${base}/onvif/device_service</tt:XAddr></tt:Device>` +
      `<tt:Media><tt:XAddr>${base}/onvif/media_service</tt:XAddr><tt:StreamingCapabilities><tt:RTPMulticast>false</tt:RTPMulticast>` +
      '<tt:RTP_TCP>true</tt:RTP_TCP><tt:RTP_RTSP_TCP>true</tt:RTP_RTSP_TCP></tt:StreamingCapabilities></tt:Media></tds:Capabilities></tds:GetCapabilitiesResponse>',
  );
}

export function deviceInformation(model: string, serial: string): string {
  return envelope(
    `<tds:GetDeviceInformationResponse><tds:Manufacturer>sopwatch</tds:Manufacturer><tds:Model>${xmlEscape(model)}</tds:Model>` +
      `<tds:FirmwareVersion>1.0</tds:FirmwareVersion><tds:SerialNumber>${xmlEscape(serial)}</tds:SerialNumber><tds:HardwareId>sim</tds:HardwareId></tds:GetDeviceInformationResponse>`,
  );
}

function profileXml(p: SoapProfile, sourceToken: string): string {
  return (
    `<trt:Profiles token="${xmlEscape(p.token)}" fixed="true"><tt:Name>${xmlEscape(p.name)}</tt:Name>` +
    `<tt:VideoSourceConfiguration token="vsc_1"><tt:Name>vsc</tt:Name><tt:UseCount>2</tt:UseCount><tt:SourceToken>${sourceToken}</tt:SourceToken>` +
    '<tt:Bounds x="0" y="0" width="1280" height="720"/></tt:VideoSourceConfiguration>' +
    `<tt:VideoEncoderConfiguration token="vec_${xmlEscape(p.token)}"><tt:Name>${xmlEscape(p.name)}</tt:Name><tt:UseCount>1</tt:UseCount><tt:Encoding>H264</tt:Encoding>` +
    `<tt:Resolution><tt:Width>${p.width}</tt:Width><tt:Height>${p.height}</tt:Height></tt:Resolution><tt:Quality>5</tt:Quality>` +
    `<tt:RateControl><tt:FrameRateLimit>${p.fps}</tt:FrameRateLimit><tt:EncodingInterval>1</tt:EncodingInterval><tt:BitrateLimit>512</tt:BitrateLimit></tt:RateControl>` +
    '</tt:VideoEncoderConfiguration></trt:Profiles>'
  );
}

export function profiles(list: readonly SoapProfile[], sourceToken: string): string {
  return envelope(`<trt:GetProfilesResponse>${list.map((p) => profileXml(p, sourceToken)).join('')}</trt:GetProfilesResponse>`);
}

export function videoSources(sourceToken: string): string {
  return envelope(
    `<trt:GetVideoSourcesResponse><trt:VideoSources token="${sourceToken}"><tt:Framerate>15</tt:Framerate>` +
      '<tt:Resolution><tt:Width>1280</tt:Width><tt:Height>720</tt:Height></tt:Resolution></trt:VideoSources></trt:GetVideoSourcesResponse>',
  );
}

export function mediaUri(action: 'GetStreamUri' | 'GetSnapshotUri', uri: string): string {
  return envelope(
    `<trt:${action}Response><trt:MediaUri><tt:Uri>${xmlEscape(uri)}</tt:Uri><tt:InvalidAfterConnect>false</tt:InvalidAfterConnect>` +
      `<tt:InvalidAfterReboot>false</tt:InvalidAfterReboot><tt:Timeout>PT0S</tt:Timeout></trt:MediaUri></trt:${action}Response>`,
  );
}

/** The action of a request: the first element inside the SOAP Body, without its prefix. */
export function soapAction(xml: string): string | undefined {
  const body = /<(?:[\w-]+:)?Body[^>]*>\s*<(?:[\w-]+:)?([A-Za-z]+)/.exec(xml);
  return body?.[1];
}

/** The text of the first element with this local name. */
export function elementText(xml: string, local: string): string | undefined {
  const m = new RegExp(`<(?:[\\w-]+:)?${local}(?:\\s[^>]*)?>([^<]*)</(?:[\\w-]+:)?${local}>`).exec(xml);
  return m?.[1];
}
