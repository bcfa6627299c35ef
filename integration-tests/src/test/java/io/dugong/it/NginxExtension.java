package io.dugong.it;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Hands tests an {@link Nginx} parameter: one nginx for the whole run, started on first use and
 * stopped when JUnit closes the root context. A start-up failure is remembered, so every test fails
 * with it at once instead of each trying again.
 */
public final class NginxExtension implements ParameterResolver {

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(NginxExtension.class);

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == Nginx.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        Started started = context.getRoot().getStore(NAMESPACE)
                .getOrComputeIfAbsent(Started.class, k -> Started.attempt(), Started.class);
        if (started.failure != null) {
            throw new IllegalStateException("nginx for the integration tests did not start", started.failure);
        }
        return started.nginx;
    }

    /** The nginx, or why it could not start; closing it stops nginx. */
    private record Started(Nginx nginx, Exception failure) implements AutoCloseable {
        static Started attempt() {
            try {
                return new Started(Nginx.start(), null);
            } catch (Exception e) {
                return new Started(null, e);
            }
        }

        @Override
        public void close() {
            if (nginx != null) nginx.close();
        }
    }
}
