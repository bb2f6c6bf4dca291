package io.keygate.server;

import static com.tngtech.archunit.base.DescribedPredicate.alwaysTrue;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.assignableTo;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import io.keygate.core.KeygateException;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The module and package rules of Keygate, checked on the production classes of every module on
 * this module's classpath (core, store-jdbc, redis, scan, envoy, server): no package cycles, the
 * core imports no adapter, adapters never import the server, and HTTP routes take what they use
 * rather than the whole server.
 */
class ArchitectureTest {
  private static final String[] ADAPTERS = {
    "io.keygate.redis..",
    "io.keygate.store..",
    "io.keygate.server..",
    "io.keygate.spring..",
    "io.keygate.scan..",
    "io.keygate.envoy.."
  };

  /** Modules' test jars (the core's store contracts) are tests too. */
  private static final Pattern TEST_JAR = Pattern.compile(".*-tests\\.jar.*");

  private static final List<String> MODULE_FRONT_DOORS =
      List.of(
          "io.keygate.core.Keygate",
          "io.keygate.store.jdbc.JdbcStores",
          "io.keygate.redis.KeygateRedis",
          "io.keygate.scan.Scanner",
          "io.keygate.envoy.EnvoyAuthz",
          "io.keygate.server.KeygateServer");

  private static JavaClasses classes;

  @BeforeAll
  static void importClasses() {
    classes =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .withImportOption(location -> !location.matches(TEST_JAR))
            .importPackages("io.keygate");
  }

  /**
   * The rules see every module's main classes, whether Maven hands them over as {@code
   * target/classes} directories ({@code test}) or as jars ({@code verify}); a rule that checked
   * nothing would pass.
   */
  @Test
  void everyModuleOnTheClasspath_isImported() {
    assertThat(MODULE_FRONT_DOORS)
        .allSatisfy(name -> assertThat(classes.contain(name)).as(name).isTrue());
  }

  @Test
  void modules_haveNoCycles() {
    slices().matching("io.keygate.(*)..").should().beFreeOfCycles().check(classes);
  }

  /**
   * Every package is its own slice. The one dependency left out is on {@link KeygateException}: the
   * unchecked root of every core fault (its subclasses carry the HTTP-mappable codes) lives beside
   * the front door {@code io.keygate.core.Keygate}, which sits above every package; throwing it is
   * vocabulary, like throwing {@code IllegalArgumentException}, not a use of the front door.
   */
  @Test
  void packages_haveNoCycles() {
    slices()
        .matching("io.keygate.(**)")
        .should()
        .beFreeOfCycles()
        .ignoreDependency(alwaysTrue(), assignableTo(KeygateException.class))
        .check(classes);
  }

  @Test
  void core_importsNoAdapter() {
    noClasses()
        .that()
        .resideInAPackage("io.keygate.core..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(ADAPTERS)
        .check(classes);
  }

  @Test
  void adapters_neverImportTheServer() {
    noClasses()
        .that()
        .resideInAnyPackage(
            "io.keygate.redis..", "io.keygate.store..", "io.keygate.scan..", "io.keygate.envoy..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("io.keygate.server..")
        .check(classes);
  }

  @Test
  void httpRoutes_takeWhatTheyUse_notTheServer() {
    noClasses()
        .that()
        .resideInAPackage("io.keygate.server.http..")
        .should()
        .dependOnClassesThat()
        .areAssignableTo(KeygateServer.class)
        .check(classes);
  }
}
