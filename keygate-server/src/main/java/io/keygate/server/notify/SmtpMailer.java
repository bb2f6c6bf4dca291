package io.keygate.server.notify;

import io.keygate.server.config.NotifyConfig;
import jakarta.mail.Authenticator;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.PasswordAuthentication;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.AddressException;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.time.Duration;
import java.util.Date;
import java.util.Properties;

/** {@link Mailer} over SMTP with Jakarta Mail. Thread-safe (a session per mailer). */
public final class SmtpMailer implements Mailer {
  private final Session session;
  private final InternetAddress from;

  /** A mailer for these settings; each read and write waits at most {@code timeout}. */
  public SmtpMailer(NotifyConfig.Smtp smtp, Duration connectTimeout, Duration timeout) {
    Properties p = new Properties();
    p.put("mail.smtp.host", smtp.host());
    p.put("mail.smtp.port", Integer.toString(smtp.port()));
    p.put("mail.smtp.starttls.enable", Boolean.toString(smtp.startTls()));
    p.put("mail.smtp.connectiontimeout", Long.toString(connectTimeout.toMillis()));
    p.put("mail.smtp.timeout", Long.toString(timeout.toMillis()));
    p.put("mail.smtp.writetimeout", Long.toString(timeout.toMillis()));
    Authenticator auth = null;
    if (smtp.user() != null) {
      p.put("mail.smtp.auth", "true");
      String user = smtp.user();
      String password = smtp.password() == null ? "" : smtp.password();
      auth =
          new Authenticator() {
            @Override
            protected PasswordAuthentication getPasswordAuthentication() {
              return new PasswordAuthentication(user, password);
            }
          };
    }
    this.session = Session.getInstance(p, auth);
    try {
      this.from = new InternetAddress(smtp.from(), true);
    } catch (AddressException e) {
      throw new IllegalArgumentException("KEYGATE_SMTP_FROM is not an email address", e);
    }
  }

  @Override
  public void send(String to, String subject, String body) throws MailException {
    try {
      MimeMessage m = new MimeMessage(session);
      m.setFrom(from);
      m.setRecipients(Message.RecipientType.TO, InternetAddress.parse(to, true));
      m.setSubject(subject, "UTF-8");
      m.setSentDate(new Date());
      m.setText(body, "UTF-8");
      Transport.send(m);
    } catch (MessagingException e) {
      throw new MailException("SMTP send failed: " + e.getMessage(), e);
    }
  }
}
