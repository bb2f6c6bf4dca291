package io.keygate.example;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * A tiny API protected by the Keygate Spring Boot starter. {@code GET /api/data} needs a key with
 * {@code read}, {@code POST /api/data} one with {@code write} (path rules in {@code
 * application.yml}), {@code GET /api/admin} one with {@code admin} ({@link
 * io.keygate.spring.RequireApiKey}), and {@code GET /public} is open.
 *
 * <p>Run against a local Keygate server: {@code KEYGATE_URL=http://127.0.0.1:8080
 * KEYGATE_TOKEN=<admin token with the verify scope> ./mvnw -pl examples/spring-boot-app
 * spring-boot:run} (after {@code ./mvnw install -DskipTests}).
 */
@SpringBootApplication
public class ExampleApplication {
  /** Starts the application. */
  public static void main(String[] args) {
    SpringApplication.run(ExampleApplication.class, args);
  }
}
