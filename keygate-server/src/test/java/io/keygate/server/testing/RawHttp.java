package io.keygate.server.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A byte-exact HTTP/1.1 client over a plain socket, for requests {@link java.net.http.HttpClient}
 * refuses to build (odd methods, raw paths, control characters in headers, invalid bodies). One
 * request per connection ({@code Connection: close}); chunked answers are decoded.
 */
public final class RawHttp {
  private RawHttp() {}

  /**
   * An answer: status, headers (lower-case names, first value) and body bytes. {@code cutShort}:
   * the body is shorter than its {@code Content-Length} because the connection was reset (the
   * server answered and closed while the request was still being sent, and the TCP reset discarded
   * the rest of the answer on the client side).
   */
  public record Answer(int status, Map<String, String> headers, byte[] body, boolean cutShort) {
    /** The body as UTF-8 text (malformed input replaced). */
    public String text() {
      return new String(body, StandardCharsets.UTF_8);
    }
  }

  /**
   * Sends {@code method target} with {@code headers} (written as given, in order) and {@code body}
   * (null: none) to 127.0.0.1:{@code port}.
   */
  public static Answer send(
      int port, String method, String target, Map<String, String> headers, byte[] body)
      throws IOException {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(60_000);
      ByteArrayOutputStream req = new ByteArrayOutputStream();
      StringBuilder head = new StringBuilder();
      head.append(method).append(' ').append(target).append(" HTTP/1.1\r\n");
      head.append("Host: 127.0.0.1:").append(port).append("\r\n");
      head.append("Connection: close\r\n");
      headers.forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
      if (body != null) {
        head.append("Content-Length: ").append(body.length).append("\r\n");
      }
      head.append("\r\n");
      req.write(head.toString().getBytes(StandardCharsets.UTF_8));
      if (body != null) {
        req.write(body);
      }
      OutputStream out = s.getOutputStream();
      try {
        out.write(req.toByteArray());
        out.flush();
      } catch (IOException e) {
        // the server may answer (413/431) and close before reading everything; read the answer
      }
      return read(s.getInputStream(), method.equals("HEAD"));
    }
  }

  private static Answer read(InputStream in, boolean head) throws IOException {
    byte[] all = readAll(in);
    int split = indexOf(all, "\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
    if (split < 0) {
      throw new IOException("no complete HTTP answer (" + all.length + " bytes)");
    }
    String[] lines = new String(all, 0, split, StandardCharsets.ISO_8859_1).split("\r\n");
    int status = Integer.parseInt(lines[0].substring(9, 12));
    Map<String, String> headers = new LinkedHashMap<>();
    for (int i = 1; i < lines.length; i++) {
      int c = lines[i].indexOf(':');
      if (c > 0) {
        headers.putIfAbsent(
            lines[i].substring(0, c).strip().toLowerCase(Locale.ROOT),
            lines[i].substring(c + 1).strip());
      }
    }
    byte[] rest = Arrays.copyOfRange(all, split + 4, all.length);
    if (head) {
      rest = new byte[0];
    } else if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
      rest = dechunk(rest);
    }
    String length = headers.get("content-length");
    boolean cut = length != null && !head && Long.parseLong(length) > rest.length;
    return new Answer(status, headers, rest, cut);
  }

  private static byte[] readAll(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    byte[] buf = new byte[8192];
    try {
      for (int n; (n = in.read(buf)) > 0; ) {
        b.write(buf, 0, n);
      }
    } catch (SocketException e) {
      if (b.size() == 0) {
        throw e;
      } // a reset after a complete answer (server closed with unread request bytes)
    }
    return b.toByteArray();
  }

  private static byte[] dechunk(byte[] in) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int p = 0;
    while (p < in.length) {
      int eol = indexOf(Arrays.copyOfRange(in, p, in.length), new byte[] {'\r', '\n'});
      if (eol < 0) {
        break;
      }
      String sizeLine = new String(in, p, eol, StandardCharsets.ISO_8859_1);
      int semi = sizeLine.indexOf(';');
      int size = Integer.parseInt((semi >= 0 ? sizeLine.substring(0, semi) : sizeLine).strip(), 16);
      p += eol + 2;
      if (size == 0) {
        break;
      }
      out.write(in, p, Math.min(size, in.length - p));
      p += size + 2;
    }
    return out.toByteArray();
  }

  private static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
