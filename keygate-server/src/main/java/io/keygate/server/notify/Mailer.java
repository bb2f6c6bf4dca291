package io.keygate.server.notify;

/** Sends one plain-text email; throws {@link MailException} when the server refuses it. */
@FunctionalInterface
public interface Mailer {
  /** Sends {@code body} to {@code to}. */
  void send(String to, String subject, String body) throws MailException;

  /** A refused or failed send, with a message fit for {@code last_error}. */
  final class MailException extends Exception {
    private static final long serialVersionUID = 1L;

    /** A failure with its cause. */
    public MailException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
