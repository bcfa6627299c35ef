package io.dugong.jdk;

import static io.dugong.jdk.SameAsJdkScenarios.has;
import static io.dugong.jdk.SameAsJdkScenarios.req;
import static io.dugong.jdk.SameAsJdkScenarios.scenario;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.StructuredTaskScope;
import java.util.stream.Stream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The shared suite's StructuredTaskScope scenarios (JDK 25 preview API, so in this source folder):
 * subtasks of a scope calling {@code send}, and a scope cancelled while its subtasks wait — the same
 * observations from the JDK's client and from the adapter.
 */
@Timeout(120)
class StructuredScopeSameAsJdkTest {

    static Stream<Scenario> scenarios() {
        return Stream.of(
                scenario("StructuredTaskScope: 200 subtasks send through one client", (c, env, f) -> {
                    List<StructuredTaskScope.Subtask<HttpResponse<String>>> tasks = new ArrayList<>();
                    try (var scope = StructuredTaskScope.open()) {
                        for (int i = 0; i < 200; i++) {
                            tasks.add(scope.fork(() -> c.send(req(env, "/text").build(), BodyHandlers.ofString())));
                        }
                        scope.join();
                    }
                    f.add("bodies=" + tasks.stream().map(t -> t.get().body()).distinct().toList());
                }, has("bodies=[hello dugong]")),
                scenario("StructuredTaskScope: a failing subtask cancels the waiting ones", (c, env, f) -> {
                    try (var scope = StructuredTaskScope.open()) {
                        scope.fork(() -> c.send(req(env, "/hang").build(), BodyHandlers.ofString()));
                        scope.fork(() -> c.send(req(env, "/hang").build(), BodyHandlers.ofString()));
                        scope.fork(() -> {
                            throw new IllegalStateException("boom");
                        });
                        scope.join();
                        f.add("joined");
                    } catch (StructuredTaskScope.FailedException e) {
                        f.add("scope failed with " + e.getCause().getClass().getSimpleName());
                    }
                    // The interrupted senders abandoned their requests only: the client still works.
                    f.add("after=" + c.send(req(env, "/text").timeout(Duration.ofSeconds(10)).build(),
                            BodyHandlers.ofString()).body());
                }, has("after=hello dugong")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scenarios")
    void dugongObservesWhatTheJdkClientObserves(Scenario scenario) throws Exception {
        List<String> jdk = SameAsJdkTest.run(scenario, Impl.JDK);
        scenario.expect().accept(jdk);
        assertEquals(String.join("\n", jdk), String.join("\n", SameAsJdkTest.run(scenario, Impl.DUGONG)));
    }
}
