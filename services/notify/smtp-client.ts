// A minimal SMTP client (RFC 5321) on node:net/tls: EHLO, STARTTLS, AUTH PLAIN/LOGIN, MAIL, RCPT, DATA, QUIT.
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { connectFailedBeforeSending, describe, type DeliveryResult } from './delivery.ts';

export interface SmtpOptions {
  host: string;
  port: number;
  security: 'starttls' | 'tls' | 'none';
  helo: string;
  user?: string;
  password?: string;
  timeoutMs: number;
  /** Extra TLS settings (a private CA in tests); the server name is always checked against `host`. */
  tls?: Pick<ConnectionOptions, 'ca' | 'rejectUnauthorized'>;
}

export interface Envelope {
  from: string;
  to: readonly string[];
}

interface Reply {
  code: number;
  lines: string[];
}

/** A reply that was not what the step expected; 4xx may pass, 5xx will not. */
class SmtpReplyError extends Error {
  constructor(readonly step: string, readonly reply: Reply) {
    super(`${step}: ${reply.code} ${reply.lines.join(' ').slice(0, 200)}`);
  }
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1']);

/** Line reader over a socket that can be swapped for its TLS upgrade. */
class Session {
  private buffer = '';
  private lines: string[] = [];
  private waiting: { resolve: (r: Reply) => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;
  socket: Socket | TLSSocket;

  constructor(socket: Socket) {
    this.socket = socket;
    this.attach(socket);
  }

  attach(socket: Socket | TLSSocket): void {
    this.socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new Error('the server closed the connection')));
  }

  fail(err: Error): void {
    this.failure ??= err;
    const w = this.waiting;
    this.waiting = undefined;
    w?.reject(this.failure);
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let i: number;
    while ((i = this.buffer.indexOf('\n')) >= 0) {
      this.lines.push(this.buffer.slice(0, i).replace(/\r$/, ''));
      this.buffer = this.buffer.slice(i + 1);
    }
    this.deliver();
  }

  /** A reply is complete at a line `NNN ` (a space, not a hyphen, after the code). */
  private deliver(): void {
    const end = this.lines.findIndex((l) => /^\d{3}(?: |$)/.test(l));
    if (end < 0 || this.waiting === undefined) return;
    const lines = this.lines.splice(0, end + 1);
    const w = this.waiting;
    this.waiting = undefined;
    w.resolve({ code: Number(lines[end]?.slice(0, 3)), lines: lines.map((l) => l.slice(4)) });
  }

  read(): Promise<Reply> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.deliver();
    });
  }

  async command(step: string, line: string | undefined, expect: readonly number[]): Promise<Reply> {
    if (line !== undefined) this.socket.write(`${line}\r\n`);
    const reply = await this.read();
    if (!expect.includes(reply.code)) throw new SmtpReplyError(step, reply);
    return reply;
  }
}

function open(options: SmtpOptions): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket: Socket = options.security === 'tls'
      ? tlsConnect({ host: options.host, port: options.port, servername: isIP(options.host) ? undefined : options.host, ...options.tls }, () => resolve(socket))
      : netConnect({ host: options.host, port: options.port }, () => resolve(socket));
    socket.once('error', reject);
    // A server that never completes the handshake must not hold the sender past its deadline.
    socket.setTimeout(options.timeoutMs, () => socket.destroy(Object.assign(new Error(`no connection within ${options.timeoutMs} ms`), { code: 'UND_ERR_CONNECT_TIMEOUT' })));
  });
}

function upgrade(session: Session, options: SmtpOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const plain = session.socket;
    plain.removeAllListeners('data');
    plain.removeAllListeners('close');
    plain.removeAllListeners('error');
    const secure = tlsConnect({ socket: plain, servername: isIP(options.host) ? undefined : options.host, ...options.tls }, () => resolve());
    secure.once('error', reject);
    session.attach(secure);
  });
}

/** Lines that start with a dot get another (RFC 5321 4.5.2); every line ends in CRLF. */
export function dotStuff(message: string): string {
  return `${message.replace(/\r?\n/g, '\r\n').split('\r\n').map((l) => (l.startsWith('.') ? `.${l}` : l)).join('\r\n')}\r\n.\r\n`;
}

function authMechanisms(ehlo: Reply): string[] {
  const line = ehlo.lines.find((l) => /^AUTH[ =]/i.test(l));
  return line === undefined ? [] : line.slice(5).toUpperCase().split(/\s+/);
}

/** Sends one message. Never throws: every ending is a DeliveryResult. */
export async function sendMail(options: SmtpOptions, envelope: Envelope, message: string): Promise<DeliveryResult> {
  const credentials = options.user !== undefined && options.password !== undefined;
  if (credentials && options.security === 'none' && !LOOPBACK.has(options.host)) {
    return { kind: 'rejected', reason: `refusing to send the SMTP password to ${options.host} without TLS (use security: starttls or tls)` };
  }
  let socket: Socket;
  try {
    socket = await open(options);
  } catch (err) {
    return connectFailedBeforeSending(err) ? { kind: 'retry', reason: `cannot reach ${options.host}:${options.port}: ${describe(err)}` } : { kind: 'retry', reason: `SMTP connection failed: ${describe(err)}` };
  }
  socket.setTimeout(0);
  const session = new Session(socket);
  // Until the final dot has been sent, nothing can have been accepted: any failure before then is safe to retry.
  let dataSent = false;
  const timer = setTimeout(() => session.fail(new Error(`no answer within ${options.timeoutMs} ms`)), options.timeoutMs);
  try {
    await session.command('greeting', undefined, [220]);
    let ehlo = await session.command('EHLO', `EHLO ${options.helo}`, [250]);
    if (options.security === 'starttls') {
      if (!ehlo.lines.some((l) => /^STARTTLS\b/i.test(l))) return { kind: 'rejected', reason: `${options.host} does not offer STARTTLS` };
      await session.command('STARTTLS', 'STARTTLS', [220]);
      await upgrade(session, options);
      ehlo = await session.command('EHLO', `EHLO ${options.helo}`, [250]);
    }
    if (credentials) {
      const mechanisms = authMechanisms(ehlo);
      const user = options.user as string;
      const password = options.password as string;
      if (mechanisms.includes('PLAIN')) {
        await session.command('AUTH PLAIN', `AUTH PLAIN ${Buffer.from(`\0${user}\0${password}`).toString('base64')}`, [235]);
      } else if (mechanisms.includes('LOGIN')) {
        await session.command('AUTH LOGIN', 'AUTH LOGIN', [334]);
        await session.command('AUTH LOGIN user', Buffer.from(user).toString('base64'), [334]);
        await session.command('AUTH LOGIN password', Buffer.from(password).toString('base64'), [235]);
      } else {
        return { kind: 'rejected', reason: `${options.host} offers no AUTH PLAIN or LOGIN (offers: ${mechanisms.join(' ') || 'none'})` };
      }
    }
    await session.command('MAIL FROM', `MAIL FROM:<${envelope.from}>`, [250]);
    for (const to of envelope.to) await session.command('RCPT TO', `RCPT TO:<${to}>`, [250, 251]);
    await session.command('DATA', 'DATA', [354]);
    session.socket.write(dotStuff(message));
    dataSent = true;
    const accepted = await session.command('end of data', undefined, [250]);
    await session.command('QUIT', 'QUIT', [221]).catch(() => undefined);
    return { kind: 'delivered', detail: `SMTP ${accepted.code} ${accepted.lines.join(' ').slice(0, 120)}` };
  } catch (err) {
    if (err instanceof SmtpReplyError) {
      const reason = `SMTP ${err.message}`;
      return err.reply.code >= 500 ? { kind: 'rejected', reason } : { kind: 'retry', reason };
    }
    const reason = `SMTP session with ${options.host} failed: ${describe(err)}`;
    return dataSent ? { kind: 'unknown', reason } : { kind: 'retry', reason };
  } finally {
    clearTimeout(timer);
    session.socket.destroy();
  }
}
