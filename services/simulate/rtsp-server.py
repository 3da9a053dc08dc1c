# A small RTSP server (Debian's gst-rtsp-server, run with /usr/bin/python3) for fake cameras: each mount
# loops a folder of JPEG frames (or a test pattern) as live H.264 over RTSP (TCP and UDP), optional Digest auth.
# Usage: rtsp-server.py --port N [--fps F] [--bitrate KBPS] [--frames DIR] [--size WxH] --mount NAME[:OFFSET_MS[:WxH]] ...
# A mount's own WxH scales its pictures (a camera's main and sub streams of the same scene).
# The Digest password comes from the environment (SIM_RTSP_USER / SIM_RTSP_PASSWORD), never from argv.
import argparse
import os
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtsp", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402


def load_frames(folder):
    names = sorted(n for n in os.listdir(folder) if n.lower().endswith((".jpg", ".jpeg")))
    if not names:
        sys.exit("no JPEG frames in " + folder)
    frames = []
    for name in names:
        with open(os.path.join(folder, name), "rb") as f:
            frames.append(f.read())
    return frames


class LoopFactory(GstRtspServer.RTSPMediaFactory):
    """One shared live source per mount: all clients of a mount see the same stream, as with a real camera."""

    def __init__(self, frames, fps, size, offset_frames, scale=None, bitrate=300):
        super().__init__()
        self.frames = frames
        self.fps = fps
        self.size = size
        self.next_index = offset_frames
        self.set_shared(True)
        encode = (
            "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=%d bitrate=%d "
            "! rtph264pay name=pay0 pt=96 config-interval=1" % (max(1, fps), bitrate)
        )
        if frames is None:
            w, h = size
            self.launch = (
                "( videotestsrc is-live=true pattern=ball ! video/x-raw,width=%d,height=%d,framerate=%d/1 "
                "! timeoverlay ! videoconvert ! %s )" % (w, h, fps, encode)
            )
        else:
            resize = "" if scale is None else "videoscale ! video/x-raw,width=%d,height=%d ! " % scale
            self.launch = (
                "( appsrc name=src is-live=true format=time do-timestamp=true "
                "caps=image/jpeg,framerate=%d/1 ! jpegdec ! %svideoconvert ! video/x-raw,format=I420 ! %s )" % (fps, resize, encode)
            )
        self.set_launch(self.launch)
        if frames is not None:
            self.connect("media-configure", self.on_configure)

    def on_configure(self, _factory, media):
        src = media.get_element().get_by_name("src")
        state = {"timer": None}

        def push():
            data = self.frames[self.next_index % len(self.frames)]
            self.next_index += 1
            buf = Gst.Buffer.new_wrapped(data)
            ret = src.emit("push-buffer", buf)
            if ret != Gst.FlowReturn.OK and ret != Gst.FlowReturn.FLUSHING:
                state["timer"] = None
                return False
            return True

        def stop(_media):
            if state["timer"] is not None:
                GLib.source_remove(state["timer"])
                state["timer"] = None

        state["timer"] = GLib.timeout_add(max(1, int(1000 / self.fps)), push)
        media.connect("unprepared", stop)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--fps", type=int, default=5)
    parser.add_argument("--frames", default=None)
    parser.add_argument("--size", default="320x180")
    parser.add_argument("--bitrate", type=int, default=300, help="H.264 kbit/s")
    parser.add_argument("--mount", action="append", required=True)
    args = parser.parse_args()
    Gst.init(None)
    size = tuple(int(v) for v in args.size.split("x"))
    frames = load_frames(args.frames) if args.frames else None

    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    mounts = server.get_mount_points()
    user = os.environ.get("SIM_RTSP_USER", "")
    password = os.environ.get("SIM_RTSP_PASSWORD", "")
    for spec in args.mount:
        name, _, rest = spec.partition(":")
        offset, _, own = rest.partition(":")
        offset_frames = int(int(offset or "0") * args.fps / 1000)
        scale = tuple(int(v) for v in own.split("x")) if own else None
        factory = LoopFactory(frames, args.fps, scale or size, offset_frames, scale if frames is not None else None, args.bitrate)
        if user:
            factory.add_role_from_structure(Gst.Structure.new_from_string(
                "user, media.factory.access=(boolean)true, media.factory.construct=(boolean)true"))
        mounts.add_factory("/" + name, factory)
    if user:
        auth = GstRtspServer.RTSPAuth()
        token = GstRtspServer.RTSPToken()
        token.set_string("media.factory.role", "user")
        auth.add_digest(user, password, token)
        auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
        server.set_auth(auth)

    loop = GLib.MainLoop()
    if server.attach(None) == 0:
        sys.exit("cannot listen on port %d" % args.port)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, loop.quit)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT, loop.quit)
    print("ready rtsp://127.0.0.1:%d" % server.get_bound_port(), flush=True)
    loop.run()


if __name__ == "__main__":
    main()
