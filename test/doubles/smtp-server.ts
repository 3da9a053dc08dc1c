// A loopback SMTP server double: EHLO, STARTTLS (with a given key and certificate), AUTH PLAIN/LOGIN, MAIL, RCPT,
// DATA; records each accepted message and can answer the end of DATA from a script (451, 554…).
import { createServer, type Server, type Socket } from 'node:net';
import { TLSSocket } from 'node:tls';

export interface ReceivedMail {
  ehlo: string;
  from: string;
  to: string[];
  /** The message as the client meant it (dot-stuffing undone, CRLF line ends). */
  data: string;
  authUser?: string;
  tls: boolean;
}

export interface SmtpDoubleOptions {
  /** Offer STARTTLS with this key and certificate (PEM). */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** Accepted accounts; when set, MAIL is refused (530) before AUTH. */
  users?: Record<string, string>;
  mechanisms?: Array<'PLAIN' | 'LOGIN'>;
  /** Replies to the end of DATA, in order; afterwards 250. A non-250 reply does not record the message. */
  dataReplies?: number[];
}

export interface SmtpDouble {
  port: number;
  messages: ReceivedMail[];
  /** Every AUTH attempt: user and whether it succeeded, and the mechanism. */
  auths: Array<{ user: string; ok: boolean; mechanism: string }>;
  close(): Promise<void>;
}

const b64 = (s: string): string => Buffer.from(s, 'base64').toString('utf8');

export async function startSmtpServer(options: SmtpDoubleOptions = {}): Promise<SmtpDouble> {
  const messages: ReceivedMail[] = [];
  const auths: SmtpDouble['auths'] = [];
  const dataReplies = [...(options.dataReplies ?? [])];
  const sockets = new Set<Socket>();
  const mechanisms = options.mechanisms ?? ['PLAIN', 'LOGIN'];

  const session = (plain: Socket): void => {
    let socket: Socket = plain;
    let buffer = '';
    let secure = false;
    let ehlo = '';
    let user: string | undefined;
    let from = '';
    let to: string[] = [];
    let data: string[] | undefined;
    let login: { step: 'user' | 'password'; user?: string } | undefined;
    const say = (line: string): void => {
      socket.write(`${line}\r\n`);
    };
    const checkAuth = (u: string, p: string, mechanism: string): void => {
      const ok = options.users?.[u] === p;
      auths.push({ user: u, ok, mechanism });
      if (ok) user = u;
      say(ok ? '235 2.7.0 Authentication successful' : '535 5.7.8 Authentication credentials invalid');
    };
    const onLine = (line: string): void => {
      if (data !== undefined) {
        if (line !== '.') {
          data.push(line.startsWith('..') ? line.slice(1) : line);
          return;
        }
        const reply = dataReplies.shift() ?? 250;
        if (reply === 250) messages.push({ ehlo, from, to, data: data.join('\r\n'), tls: secure, ...(user === undefined ? {} : { authUser: user }) });
        data = undefined;
        say(reply === 250 ? '250 2.0.0 queued' : `${reply} scripted refusal`);
        return;
      }
      if (login !== undefined) {
        if (login.step === 'user') {
          login = { step: 'password', user: b64(line) };
          say(`334 ${Buffer.from('Password:').toString('base64')}`);
        } else {
          const u = login.user ?? '';
          login = undefined;
          checkAuth(u, b64(line), 'LOGIN');
        }
        return;
      }
      const [verb = '', ...rest] = line.split(' ');
      const arg = rest.join(' ');
      switch (verb.toUpperCase()) {
        case 'EHLO': {
          ehlo = arg;
          const ext = ['250-sopwatch-double', '250-8BITMIME'];
          if (options.tls !== undefined && !secure) ext.push('250-STARTTLS');
          if (options.users !== undefined) ext.push(`250-AUTH ${mechanisms.join(' ')}`);
          ext.push('250 SIZE 10485760');
          say(ext.join('\r\n'));
          return;
        }
        case 'STARTTLS': {
          if (options.tls === undefined || secure) return say('502 5.5.1 not offered');
          say('220 2.0.0 ready to start TLS');
          socket.removeAllListeners('data');
          const tls = new TLSSocket(socket, { isServer: true, key: options.tls.key, cert: options.tls.cert });
          socket = tls;
          secure = true;
          tls.setEncoding('utf8');
          tls.on('data', onData);
          tls.on('error', () => tls.destroy());
          return;
        }
        case 'AUTH': {
          const [mech = '', initial] = arg.split(' ');
          if (!mechanisms.includes(mech.toUpperCase() as 'PLAIN' | 'LOGIN')) return say('504 5.5.4 mechanism not supported');
          if (mech.toUpperCase() === 'LOGIN') {
            login = { step: 'user' };
            return say(`334 ${Buffer.from('Username:').toString('base64')}`);
          }
          const [, u = '', p = ''] = b64(initial ?? '').split('\0');
          return checkAuth(u, p, 'PLAIN');
        }
        case 'MAIL':
          if (options.users !== undefined && user === undefined) return say('530 5.7.0 Authentication required');
          from = /<([^>]*)>/.exec(arg)?.[1] ?? '';
          to = [];
          return say('250 2.1.0 ok');
        case 'RCPT':
          to.push(/<([^>]*)>/.exec(arg)?.[1] ?? '');
          return say('250 2.1.5 ok');
        case 'DATA':
          if (to.length === 0) return say('554 5.5.1 no valid recipients');
          data = [];
          return say('354 end with <CRLF>.<CRLF>');
        case 'QUIT':
          say('221 2.0.0 bye');
          socket.end();
          return;
        case 'RSET':
          from = '';
          to = [];
          return say('250 ok');
        default:
          return say('502 5.5.2 command not recognised');
      }
    };
    const onData = (chunk: string): void => {
      buffer += chunk;
      let i: number;
      while ((i = buffer.indexOf('\r\n')) >= 0) {
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 2);
        onLine(line);
      }
    };
    plain.setEncoding('utf8');
    plain.on('data', onData);
    plain.on('error', () => plain.destroy());
    say('220 sopwatch-double ESMTP');
  };

  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    session(s);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    port,
    messages,
    auths,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
