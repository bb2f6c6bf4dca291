package io.keygate.server.http;

import java.nio.ByteBuffer;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Answers the errors Jetty raises before a request reaches any route (oversized headers or URI, a
 * malformed request line or percent-encoding) with the API's {@code {"error", "message"}} JSON
 * instead of Jetty's HTML page. The message is fixed per status and never echoes the request, which
 * may carry a key.
 */
final class JettyErrors extends ErrorHandler {
  /**
   * Every method gets the JSON body: Jetty's default writes one only for GET, POST and HEAD, so a
   * PATCH with oversized headers got an empty 431 (found by {@code HttpFuzzTest}).
   */
  @Override
  public boolean errorPageForMethod(String method) {
    return true;
  }

  @Override
  protected void generateResponse(
      Request request,
      Response response,
      int code,
      String message,
      Throwable cause,
      Callback callback) {
    String text =
        switch (code) {
          case 414 -> "the request URI is too long";
          case 431 -> "the request headers are too large";
          default -> "the request could not be processed: " + HttpStatus.getMessage(code);
        };
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
    response.write(
        true,
        ByteBuffer.wrap(Json.write(new Views.ErrorBody(HttpApi.codeFor(code), text))),
        callback);
  }
}
