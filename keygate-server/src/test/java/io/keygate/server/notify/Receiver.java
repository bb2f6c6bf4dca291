package io.keygate.server.notify;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * A real webhook receiver on a random loopback port: records every request and answers with the
 * queued statuses (then 200).
 */
final class Receiver implements AutoCloseable {
  /** One request as received. */
  record Hit(String eventId, String eventType, String signature, byte[] body, int answered) {}

  private final HttpServer server;
  private final List<Hit> hits = new ArrayList<>();
  private final Deque<Integer> answers = new ArrayDeque<>();
  private int defaultAnswer = 200;

  Receiver() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/hook",
        ex -> {
          byte[] body;
          try (InputStream in = ex.getRequestBody()) {
            body = in.readAllBytes();
          }
          int status;
          synchronized (this) {
            status = answers.isEmpty() ? defaultAnswer : answers.poll();
            hits.add(
                new Hit(
                    ex.getRequestHeaders().getFirst("Keygate-Event-Id"),
                    ex.getRequestHeaders().getFirst("Keygate-Event-Type"),
                    ex.getRequestHeaders().getFirst("Keygate-Signature"),
                    body,
                    status));
          }
          ex.sendResponseHeaders(status, -1);
          ex.close();
        });
    server.start();
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/hook";
  }

  synchronized void answerNext(int... statuses) {
    for (int s : statuses) {
      answers.add(s);
    }
  }

  synchronized void answerAlways(int status) {
    defaultAnswer = status;
  }

  synchronized List<Hit> hits() {
    return List.copyOf(hits);
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
