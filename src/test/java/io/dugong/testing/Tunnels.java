package io.dugong.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.util.Arrays;

/** The proxy side of a {@code CONNECT} tunnel, for scripts that play an HTTP proxy. */
public final class Tunnels {
    private Tunnels() {
    }

    /**
     * Plays a proxy that accepts the CONNECT it has read, then relays bytes to 127.0.0.1:port until
     * either side ends.
     *
     * @param c    the client's connection to the proxy, its CONNECT head already read
     * @param port the origin's port on the loopback address
     * @throws IOException if the origin cannot be reached
     */
    public static void acceptTunnelTo(ServerConnection c, int port) throws IOException {
        c.send("HTTP/1.1 200 Connection established\r\nProxy-Agent: scripted\r\n\r\n");
        try (Socket origin = new Socket(InetAddress.getLoopbackAddress(), port)) {
            InputStream fromOrigin = origin.getInputStream();
            OutputStream toOrigin = origin.getOutputStream();
            Thread back = Thread.ofVirtual().start(() -> {
                byte[] buf = new byte[16 * 1024];
                try {
                    for (int n; (n = fromOrigin.read(buf)) >= 0; ) {
                        c.send(Arrays.copyOf(buf, n));
                    }
                    c.shutdownOutput();
                } catch (IOException ignored) {
                    // one side went away: the tunnel ends
                }
            });
            byte[] buf = new byte[16 * 1024];
            try {
                for (int n; (n = c.readAvailable(buf)) >= 0; ) {
                    toOrigin.write(buf, 0, n);
                }
                origin.shutdownOutput();
            } catch (IOException ignored) {
                // one side went away: the tunnel ends
            }
            try {
                // The client is gone: give the origin a moment to finish, then close it (leaving the
                // try block), as a proxy would, rather than wait for it for ever.
                back.join(java.time.Duration.ofSeconds(1));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
