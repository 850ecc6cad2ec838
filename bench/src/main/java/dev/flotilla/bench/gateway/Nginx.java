package dev.flotilla.bench.gateway;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * nginx from the Debian package as the plain reverse-proxy baseline, run in the foreground with a
 * generated configuration in a scratch directory (nothing under {@code /etc/nginx} is read or
 * written). It proxies to the fast upstream over a keepalive pool ({@code keepalive 64},
 * HTTP/1.1, no {@code Connection} header) with response buffering off, so streamed events pass as
 * they arrive. Access logging is off and keepalive connections are not recycled after 1000
 * requests (the nginx default), so that neither costs the baseline what the gateway does not pay.
 */
final class Nginx implements AutoCloseable {
    private final Path dir;
    private final Process process;
    private final int port;

    private Nginx(Path dir, Process process, int port) {
        this.dir = dir;
        this.process = process;
        this.port = port;
    }

    /** Starts nginx in front of {@code upstreamPort} and returns once it accepts connections. */
    static Nginx start(String binary, Path dir, int upstreamPort, ChildProcesses children) throws IOException {
        int port = FastUpstream.freePort();
        Path conf = dir.resolve("nginx.conf");
        Files.writeString(conf, config(dir, port, upstreamPort));
        Path log = dir.resolve("nginx.out");
        Process p = new ProcessBuilder(binary, "-p", dir.toString(), "-c", conf.toString(), "-e",
                dir.resolve("error.log").toString())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        children.add(p);
        Nginx nginx = new Nginx(dir, p, port);
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            if (!p.isAlive()) {
                throw new IllegalStateException("nginx exited with status " + p.exitValue() + " at start:\n"
                        + nginx.logs());
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return nginx;
            } catch (IOException notYet) {
                if (System.nanoTime() > deadline) {
                    nginx.close();
                    throw new IllegalStateException("nginx did not listen on port " + port + " within 10 s:\n"
                            + nginx.logs());
                }
                sleep(50);
            }
        }
    }

    int port() {
        return port;
    }

    private static String config(Path dir, int port, int upstreamPort) {
        String d = dir.toString();
        return String.join("\n", List.of(
                "daemon off;",
                "worker_processes auto;",
                "pid " + d + "/nginx.pid;",
                "error_log " + d + "/error.log warn;",
                "events { worker_connections 4096; }",
                "http {",
                "  access_log off;",
                "  client_body_temp_path " + d + "/client_body;",
                "  proxy_temp_path " + d + "/proxy;",
                "  fastcgi_temp_path " + d + "/fastcgi;",
                "  uwsgi_temp_path " + d + "/uwsgi;",
                "  scgi_temp_path " + d + "/scgi;",
                "  keepalive_requests 1000000;",
                "  upstream fast {",
                "    server 127.0.0.1:" + upstreamPort + ";",
                "    keepalive 64;",
                "    keepalive_requests 1000000;",
                "  }",
                "  server {",
                "    listen 127.0.0.1:" + port + ";",
                "    location / {",
                "      proxy_pass http://fast;",
                "      proxy_http_version 1.1;",
                "      proxy_set_header Connection \"\";",
                "      proxy_buffering off;",
                "    }",
                "  }",
                "}",
                ""));
    }

    private String logs() {
        StringBuilder sb = new StringBuilder();
        for (String name : List.of("nginx.out", "error.log")) {
            Path f = dir.resolve(name);
            try {
                if (Files.exists(f)) {
                    sb.append(Files.readString(f));
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return sb.toString();
    }

    /** Fast shutdown (SIGTERM to the master, which stops its workers); SIGKILL after 5 s. */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for nginx", e);
        }
    }
}
