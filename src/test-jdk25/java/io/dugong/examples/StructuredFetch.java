package io.dugong.examples;

import io.dugong.DugongClient;
import io.dugong.Request;
import io.dugong.Response;

import java.net.URI;
import java.util.List;
import java.util.concurrent.StructuredTaskScope;

/**
 * Python dugong's {@code AioFuture} with asyncio: many URLs fetched concurrently, the results
 * gathered when all are done. Here each URL is a subtask of a {@link StructuredTaskScope} (JDK 25,
 * preview) on its own virtual thread, all sharing one {@link DugongClient}, which pipelines the
 * requests to each origin over a few connections. If one fails, the scope cancels the others and
 * {@code join()} throws.
 *
 * <pre>{@code
 * java --enable-preview ... io.dugong.examples.StructuredFetch http://example.org/a http://example.org/b
 * }</pre>
 */
public final class StructuredFetch {
    private StructuredFetch() {
    }

    /**
     * Fetches every URL in one scope.
     *
     * @param client the shared client
     * @param uris   absolute http or https URLs
     * @return the responses, in the order of {@code uris}
     * @throws StructuredTaskScope.FailedException if a request failed (the others are cancelled)
     */
    public static List<Response<byte[]>> fetchAll(DugongClient client, List<URI> uris) throws InterruptedException {
        try (var scope = StructuredTaskScope.open()) {
            List<StructuredTaskScope.Subtask<Response<byte[]>>> tasks =
                    uris.stream().map(u -> scope.fork(() -> client.send(Request.get(u)))).toList();
            scope.join();
            return tasks.stream().map(StructuredTaskScope.Subtask::get).toList();
        }
    }

    /**
     * Prints the status and size of each URL.
     *
     * @param args absolute URLs
     */
    public static void main(String[] args) throws InterruptedException {
        try (DugongClient client = DugongClient.newClient()) {
            for (Response<byte[]> r : fetchAll(client, List.of(args).stream().map(URI::create).toList())) {
                System.out.println(r.request().uri() + " -> " + r.status() + ", " + r.body().length + " bytes");
            }
        }
    }
}
