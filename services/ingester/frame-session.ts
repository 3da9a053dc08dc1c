// What a live frame source gives its supervisor: sessions that deliver JPEGs until they end, and can be stopped.

export interface SessionEnd {
  /** Redacted, one line: why the session ended ("ffmpeg exited 1: 401 Unauthorized", "stopped"). */
  reason: string;
  /** True when we ended it (stop()), false when the camera side did. */
  stopped: boolean;
}

export interface FrameSession {
  /** Ends the session and waits until everything it held (a child process, a socket) is gone. */
  stop(): Promise<void>;
  /** Settles once, when the session has ended for any reason. Never rejects. */
  readonly ended: Promise<SessionEnd>;
}

export interface SessionHandlers {
  /** A whole picture arrived, stamped with server time (epoch ms). */
  onFrame: (jpeg: Buffer, tMs: number) => void;
}

/** A way to get frames from one camera; the supervisor opens a new session after each failure. */
export interface FrameSource {
  readonly kind: 'rtsp' | 'snapshot';
  /** For logs and health: where frames come from, without credentials. */
  readonly description: string;
  open(handlers: SessionHandlers): FrameSession;
}
