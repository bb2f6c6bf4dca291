package io.keygate.server.notify;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.keygate.core.KeygateException;
import io.keygate.core.audit.AuditEntry;
import io.keygate.core.key.KeyFormat;
import io.keygate.core.lifecycle.Actor;
import io.keygate.core.notify.DataCipher;
import io.keygate.core.notify.EmailChannel;
import io.keygate.core.notify.NotifyStore;
import io.keygate.core.notify.Owner;
import io.keygate.core.notify.StoredOwner;
import io.keygate.core.notify.Webhook;
import io.keygate.server.json.KeygateJson;
import io.keygate.server.outbound.OutboundHttp;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * Owners and their notification channels: validation, sealing at rest and the audit trail.
 *
 * <p><b>Security guarantees.</b> Webhook URLs, signing secrets and email addresses reach the store
 * only sealed by {@link DataCipher} (AES-256-GCM, bound to the owner id). A webhook URL is stored
 * only if {@link OutboundHttp#check} permits it: its host is a canonical IP literal or a name that
 * resolves, and only to addresses the outbound policy permits (no loopback, private, link-local, …
 * unless the operator allows the network); delivery checks the address again on every connection.
 * An email channel is accepted only while an SMTP server is configured. An actor restricted to one
 * owner sees and changes only that owner (others are 404). The audit log records which fields
 * changed, never their values. Thread-safe.
 */
public final class Owners {
  private static final Pattern OWNER = Pattern.compile("[A-Za-z0-9._:@-]{1,128}");
  private static final Pattern EMAIL =
      Pattern.compile("[A-Za-z0-9._%+'-]{1,64}@[A-Za-z0-9.-]{1,253}\\.[A-Za-z]{2,63}");
  private static final int MAX_CHANNELS = 10;
  private static final int MIN_SECRET = 16;
  private static final int MAX_SECRET = 256;
  private static final ObjectMapper JSON = KeygateJson.MAPPER;

  private final NotifyStore store;
  private final DataCipher cipher;
  private final Clock clock;
  private final Supplier<SecureRandom> random;
  private final OutboundHttp http;
  private final boolean emailEnabled;

  /**
   * Wires the service.
   *
   * @param http checks webhook URLs against the outbound address policy
   * @param emailEnabled whether an SMTP server is configured (new email channels are refused
   *     without one)
   */
  public Owners(
      NotifyStore store,
      DataCipher cipher,
      Clock clock,
      Supplier<SecureRandom> random,
      OutboundHttp http,
      boolean emailEnabled) {
    this.store = store;
    this.cipher = cipher;
    this.clock = clock;
    this.random = random;
    this.http = http;
    this.emailEnabled = emailEnabled;
  }

  /** Whether email channels are delivered (an SMTP server is configured). */
  public boolean emailEnabled() {
    return emailEnabled;
  }

  /** A webhook as given by a caller; a null secret on update keeps the stored one. */
  public record WebhookInput(String url, String secret) {}

  /** Creates an owner. */
  public Owner create(
      String ownerId, String name, List<WebhookInput> webhooks, List<String> emails, Actor actor) {
    String id = requireOwnerId(ownerId);
    if (!actor.canSee(id)) {
      throw new KeygateException.InvalidRequest(
          "invalid_owner_id", "this token may only manage owner " + actor.ownerRestriction());
    }
    Instant now = now();
    Owner o =
        new Owner(
            id, name(name), webhooks(webhooks, List.of()), emails(emails, List.of()), now, now);
    store.insertOwner(seal(o), audit(actor, "owner.created", o, Map.of()));
    return o;
  }

  /** The owner, if the actor may see it. */
  public Owner get(String ownerId, Actor actor) {
    if (ownerId == null || !actor.canSee(ownerId)) {
      throw new KeygateException.NotFound("no owner with id " + safe(ownerId));
    }
    return find(ownerId)
        .orElseThrow(() -> new KeygateException.NotFound("no owner with id " + safe(ownerId)));
  }

  /** The owner, opened, or empty (for the delivery worker). */
  public Optional<Owner> find(String ownerId) {
    return store.findOwner(ownerId).map(this::open);
  }

  /** Replaces the fields given (non-null). */
  public Owner update(
      String ownerId, String name, List<WebhookInput> webhooks, List<String> emails, Actor actor) {
    Owner cur = get(ownerId, actor);
    Map<String, String> changed = new LinkedHashMap<>();
    if (name != null) changed.put("name", "changed");
    if (webhooks != null) changed.put("webhooks", Integer.toString(webhooks.size()));
    if (emails != null) changed.put("emails", Integer.toString(emails.size()));
    Owner next =
        new Owner(
            cur.ownerId(),
            name == null ? cur.name() : name(name),
            webhooks == null ? cur.webhooks() : webhooks(webhooks, cur.webhooks()),
            emails == null ? cur.emails() : emails(emails, cur.emails()),
            cur.createdAt(),
            now());
    store.updateOwner(seal(next), audit(actor, "owner.updated", next, changed));
    return next;
  }

  private Instant now() {
    return clock.instant().truncatedTo(ChronoUnit.MILLIS);
  }

  /** The audit event of a change to {@code o}: which channels it has, never their values. */
  private static AuditEntry audit(
      Actor actor, String action, Owner o, Map<String, String> details) {
    Map<String, String> d = new LinkedHashMap<>(details);
    d.put("webhooks", Integer.toString(o.webhooks().size()));
    d.put("emails", Integer.toString(o.emails().size()));
    return new AuditEntry(
        o.updatedAt(), actor.id(), action, o.ownerId(), o.ownerId(), actor.sourceIp(), d);
  }

  private StoredOwner seal(Owner o) {
    ObjectNode root = JSON.createObjectNode();
    ArrayNode hooks = root.putArray("webhooks");
    for (Webhook w : o.webhooks()) {
      hooks.addObject().put("id", w.channelId()).put("url", w.url()).put("secret", w.secret());
    }
    ArrayNode mails = root.putArray("emails");
    for (EmailChannel e : o.emails()) {
      mails.addObject().put("id", e.channelId()).put("address", e.address());
    }
    return new StoredOwner(
        o.ownerId(),
        o.name(),
        cipher.seal(root.toString(), context(o.ownerId())),
        o.createdAt(),
        o.updatedAt());
  }

  /**
   * The owner with its channels opened.
   *
   * @throws KeygateException.SecretMismatch the channels do not open here: sealed under a data key
   *     version this node does not hold (yet), or under a different key (or altered)
   */
  private Owner open(StoredOwner s) {
    String json;
    try {
      json = cipher.open(s.sealedChannels(), context(s.ownerId()));
    } catch (IllegalStateException e) {
      throw new KeygateException.SecretMismatch(
          "the channels of owner "
              + s.ownerId()
              + " do not open on this node: "
              + e.getMessage()
              + ". Every node needs every data key version the others use (docs/deploy.md,"
              + " \"Secrets on several nodes\"); a node picks up a rotated data-key file within"
              + " KEYGATE_SECRETS_RELOAD_SECONDS");
    }
    JsonNode root;
    try {
      root = JSON.readTree(json);
    } catch (IOException e) {
      throw new IllegalStateException("sealed channels of owner " + s.ownerId() + " unreadable");
    }
    List<Webhook> hooks = new ArrayList<>();
    for (JsonNode n : root.path("webhooks")) {
      hooks.add(
          new Webhook(n.path("id").asText(), n.path("url").asText(), n.path("secret").asText()));
    }
    List<EmailChannel> mails = new ArrayList<>();
    for (JsonNode n : root.path("emails")) {
      mails.add(new EmailChannel(n.path("id").asText(), n.path("address").asText()));
    }
    return new Owner(s.ownerId(), s.name(), hooks, mails, s.createdAt(), s.updatedAt());
  }

  /**
   * The associated data an owner's channels are sealed with: a sealed value opens only for the
   * owner it was sealed for.
   */
  public static String context(String ownerId) {
    return "keygate:owner-channels:" + ownerId;
  }

  private String channelId() {
    return "ch_" + KeyFormat.randomBase62(random.get(), 16);
  }

  private List<Webhook> webhooks(List<WebhookInput> in, List<Webhook> current) {
    if (in == null) {
      return List.of();
    }
    requireAtMostMaxChannels(in, "invalid_webhooks", "webhooks");
    List<Webhook> out = new ArrayList<>();
    List<URI> uris = new ArrayList<>();
    for (int i = 0; i < in.size(); i++) {
      WebhookInput w = in.get(i);
      if (w == null) {
        throw new KeygateException.InvalidRequest(
            "invalid_webhooks", "webhooks[" + i + "] must be an object");
      }
      URI uri = requireUrl(w.url(), i);
      String url = w.url();
      Webhook existing = current.stream().filter(c -> c.url().equals(url)).findFirst().orElse(null);
      String secret = w.secret();
      if (secret == null && existing != null) {
        secret = existing.secret();
      }
      if (secret == null || secret.length() < MIN_SECRET || secret.length() > MAX_SECRET) {
        throw new KeygateException.InvalidRequest(
            "invalid_webhooks",
            "webhooks["
                + i
                + "].secret is required: "
                + MIN_SECRET
                + ".."
                + MAX_SECRET
                + " characters");
      }
      uris.add(uri);
      out.add(new Webhook(existing != null ? existing.channelId() : channelId(), url, secret));
    }
    requireReachable(uris);
    return out;
  }

  /** The parsed URL: absolute http(s), with a host, without credentials. */
  private static URI requireUrl(String url, int i) {
    String what = "webhooks[" + i + "].url";
    if (url == null || url.length() > 2000) {
      throw new KeygateException.InvalidRequest(
          "invalid_webhooks", what + " is required (at most 2000 characters)");
    }
    URI u;
    try {
      u = new URI(url);
    } catch (URISyntaxException e) {
      throw new KeygateException.InvalidRequest("invalid_webhooks", what + " is not a valid URL");
    }
    String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
    if (!(scheme.equals("https") || scheme.equals("http")) || u.getHost() == null) {
      throw new KeygateException.InvalidRequest(
          "invalid_webhooks", what + " must be an absolute http(s) URL");
    }
    if (u.getUserInfo() != null) {
      throw new KeygateException.InvalidRequest(
          "invalid_webhooks", what + " must not carry credentials; use the signing secret");
    }
    return u;
  }

  /**
   * Refuses the first URL the outbound policy would not call. Checked last, for all URLs at once:
   * it resolves their hosts, in parallel and within one connect timeout.
   */
  private void requireReachable(List<URI> uris) {
    List<OutboundHttp.UrlCheck> checks = http.check(uris);
    for (int i = 0; i < checks.size(); i++) {
      OutboundHttp.UrlCheck check = checks.get(i);
      if (!(check instanceof OutboundHttp.Permitted)) {
        throw new KeygateException.InvalidRequest(
            "webhook_url_not_allowed",
            "webhooks["
                + i
                + "].url"
                + " "
                // a name that does not resolve gets the same answer as one resolving inside
                + (check instanceof OutboundHttp.Refused r
                    ? r.reason()
                    : OutboundHttp.NAME_REFUSED.reason())
                + "; webhooks may reach public addresses only (loopback, private, link-local,"
                + " unique-local, multicast, reserved and unspecified addresses are refused unless"
                + " the operator allows their network in KEYGATE_WEBHOOK_ALLOWED_NETWORKS)");
      }
    }
  }

  /** Refuses (400 {@code error}) more than {@link #MAX_CHANNELS} channels of one kind. */
  private static void requireAtMostMaxChannels(List<?> in, String error, String what) {
    if (in.size() > MAX_CHANNELS) {
      throw new KeygateException.InvalidRequest(
          error, "at most " + MAX_CHANNELS + " " + what + " per owner");
    }
  }

  private List<EmailChannel> emails(List<String> in, List<EmailChannel> current) {
    if (in == null) {
      return List.of();
    }
    requireAtMostMaxChannels(in, "invalid_emails", "email addresses");
    List<EmailChannel> out = new ArrayList<>();
    for (int i = 0; i < in.size(); i++) {
      String a = in.get(i);
      if (a == null || !EMAIL.matcher(a).matches()) {
        throw new KeygateException.InvalidRequest(
            "invalid_emails", "emails[" + i + "] is not an email address");
      }
      EmailChannel existing =
          current.stream().filter(c -> c.address().equalsIgnoreCase(a)).findFirst().orElse(null);
      if (existing == null && !emailEnabled) {
        throw new KeygateException.InvalidRequest(
            "smtp_not_configured",
            "emails["
                + i
                + "]: this server sends no email (KEYGATE_SMTP_HOST is not set); use a webhook");
      }
      out.add(new EmailChannel(existing != null ? existing.channelId() : channelId(), a));
    }
    return out;
  }

  private static String name(String name) {
    if (name != null && name.length() > 200) {
      throw new KeygateException.InvalidRequest("invalid_name", "name is at most 200 characters");
    }
    return name == null ? "" : name;
  }

  private static String requireOwnerId(String id) {
    if (id == null || !OWNER.matcher(id).matches()) {
      throw new KeygateException.InvalidRequest(
          "invalid_owner_id", "owner_id is required: 1-128 characters of [A-Za-z0-9._:@-]");
    }
    return id;
  }

  private static String safe(String s) {
    return s == null ? "null" : s.replaceAll("[^A-Za-z0-9._:@-]", "?");
  }
}
