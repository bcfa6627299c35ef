package io.dugong;

import io.dugong.internal.RequestChecks;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * HTTP header fields: immutable, multi-valued, with case-insensitive names; the order and the case
 * of the names are kept as given (or as received).
 *
 * <pre>{@code
 * Headers h = Headers.of("Accept", "text/plain", "X-Trace", "1");
 * h.first("accept");          // Optional[text/plain]
 * Headers more = Headers.builder().add("Cookie", "a=1").add("Cookie", "b=2").build();
 * more.all("cookie");         // [a=1, b=2]
 * }</pre>
 *
 * Names must be tokens and values ISO-8859-1 without control characters other than tab; anything
 * else is an {@link IllegalArgumentException} when the headers are built, before any byte is sent.
 */
public final class Headers {
    private static final Headers EMPTY = new Headers(new String[0]);

    /** name0, value0, name1, value1, ... — a flat array keeps small header sets cheap. */
    private final String[] fields;

    private Headers(String[] fields) {
        this.fields = fields;
    }

    /**
     * No headers.
     *
     * @return no headers
     */
    public static Headers empty() {
        return EMPTY;
    }

    /**
     * Headers from alternating names and values.
     *
     * @param namesAndValues {@code name1, value1, name2, value2, ...}
     * @return headers from alternating names and values
     * @throws IllegalArgumentException if the count is odd or a name or value is invalid
     */
    public static Headers of(String... namesAndValues) {
        if (namesAndValues.length % 2 != 0) {
            throw new IllegalArgumentException("Headers.of needs name/value pairs, got an odd count " + namesAndValues.length);
        }
        Builder b = builder();
        for (int i = 0; i < namesAndValues.length; i += 2) b.add(namesAndValues[i], namesAndValues[i + 1]);
        return b.build();
    }

    /**
     * Headers from a map of names to value lists (as {@code java.net.http.HttpHeaders#map()} gives).
     *
     * @param map the fields; iteration order is kept
     * @return headers from a map of names to value lists (as {@code java.net.http.HttpHeaders#map()} gives)
     */
    public static Headers of(Map<String, List<String>> map) {
        Builder b = builder();
        map.forEach((name, values) -> values.forEach(v -> b.add(name, v)));
        return b.build();
    }

    /**
     * A builder for new headers.
     *
     * @return a builder for new headers
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Wraps fields already validated by the response parser, without copying or re-checking.
     * Internal: the array must not be shared.
     */
    static Headers ofTrusted(String[] fields) {
        return fields.length == 0 ? EMPTY : new Headers(fields);
    }

    /**
     * The first value of {@code name} (case-insensitive), if any.
     *
     * @param name the field name (matched case-insensitively)
     * @return the first value of {@code name} (case-insensitive), if any
     */
    public Optional<String> first(String name) {
        for (int i = 0; i < fields.length; i += 2) {
            if (fields[i].equalsIgnoreCase(name)) return Optional.of(fields[i + 1]);
        }
        return Optional.empty();
    }

    /**
     * Every value of {@code name} (case-insensitive), in order; empty if absent.
     *
     * @param name the field name (matched case-insensitively)
     * @return every value of {@code name} (case-insensitive), in order
     */
    public List<String> all(String name) {
        List<String> values = null;
        for (int i = 0; i < fields.length; i += 2) {
            if (fields[i].equalsIgnoreCase(name)) {
                if (values == null) values = new ArrayList<>(2);
                values.add(fields[i + 1]);
            }
        }
        return values == null ? List.of() : Collections.unmodifiableList(values);
    }

    /**
     * True if {@code name} (case-insensitive) is present.
     *
     * @param name the field name (matched case-insensitively)
     * @return true if {@code name} (case-insensitive) is present
     */
    public boolean contains(String name) {
        for (int i = 0; i < fields.length; i += 2) {
            if (fields[i].equalsIgnoreCase(name)) return true;
        }
        return false;
    }

    /**
     * True if a comma-separated value of {@code name} equals {@code token}, ignoring case (e.g. {@code Connection: close}).
     *
     * @param name the field name (matched case-insensitively)
     * @param token the token to look for (case-insensitive)
     * @return true if {@code token} is among the comma-separated values of {@code name}
     */
    public boolean hasToken(String name, String token) {
        for (int i = 0; i < fields.length; i += 2) {
            if (!fields[i].equalsIgnoreCase(name)) continue;
            for (String part : fields[i + 1].split(",")) {
                if (part.trim().equalsIgnoreCase(token)) return true;
            }
        }
        return false;
    }

    /**
     * The distinct names, in first-seen order and as first spelled.
     *
     * @return the distinct names, in first-seen order and as first spelled
     */
    public Set<String> names() {
        Set<String> seen = new java.util.TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        Set<String> names = new LinkedHashSet<>();
        for (int i = 0; i < fields.length; i += 2) {
            if (seen.add(fields[i])) names.add(fields[i]);
        }
        return Collections.unmodifiableSet(names);
    }

    /**
     * Number of fields (a name sent twice counts twice).
     *
     * @return number of fields (a name sent twice counts twice)
     */
    public int size() {
        return fields.length / 2;
    }

    /**
     * True if there are no fields.
     *
     * @return true if there are no fields
     */
    public boolean isEmpty() {
        return fields.length == 0;
    }

    /**
     * Name of the {@code i}-th field, as spelled.
     *
     * @param i the index, from 0 to {@code size() - 1}
     * @return name of the {@code i}-th field, as spelled
     */
    public String name(int i) {
        return fields[2 * i];
    }

    /**
     * Value of the {@code i}-th field.
     *
     * @param i the index, from 0 to {@code size() - 1}
     * @return value of the {@code i}-th field
     */
    public String value(int i) {
        return fields[2 * i + 1];
    }

    /**
     * Calls {@code action} with each field's name and value, in order.
     *
     * @param action called with each name and value
     */
    public void forEach(BiConsumer<String, String> action) {
        for (int i = 0; i < fields.length; i += 2) action.accept(fields[i], fields[i + 1]);
    }

    /**
     * A builder starting from these headers.
     *
     * @return a builder starting from these headers
     */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.fields.addAll(Arrays.asList(fields));
        return b;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Headers h && Arrays.equals(fields, h.fields);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(fields);
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("{");
        for (int i = 0; i < fields.length; i += 2) {
            if (i > 0) b.append(", ");
            b.append(fields[i]).append(": ").append(fields[i + 1]);
        }
        return b.append('}').toString();
    }

    /** Builds {@link Headers}; each name and value is validated as it is added. */
    public static final class Builder {
        private final List<String> fields = new ArrayList<>();

        private Builder() {
        }

        /**
         * Adds a field, keeping any others of the same name.
         *
         * @param name the field name (matched case-insensitively)
         * @param value the field value, without CR, LF, NUL or other controls
         * @return this builder
         * @throws IllegalArgumentException if the name is not a token or the value has CR, LF, NUL or other controls
         */
        public Builder add(String name, String value) {
            fields.add(RequestChecks.fieldName(name));
            fields.add(RequestChecks.fieldValue(name, value));
            return this;
        }

        /**
         * Replaces every field named {@code name} by one with {@code value}.
         *
         * @param name the field name (matched case-insensitively)
         * @param value the field value, without CR, LF, NUL or other controls
         * @return this builder
         */
        public Builder set(String name, String value) {
            remove(name);
            return add(name, value);
        }

        /**
         * Removes every field named {@code name} (case-insensitive).
         *
         * @param name the field name (matched case-insensitively)
         * @return this builder
         */
        public Builder remove(String name) {
            for (int i = fields.size() - 2; i >= 0; i -= 2) {
                if (fields.get(i).equalsIgnoreCase(name)) {
                    fields.remove(i + 1);
                    fields.remove(i);
                }
            }
            return this;
        }

        /**
         * Adds every field of {@code headers}.
         *
         * @param headers the fields to add, in order
         * @return this builder
         */
        public Builder addAll(Headers headers) {
            fields.addAll(Arrays.asList(headers.fields));
            return this;
        }

        /**
         * The immutable headers.
         *
         * @return the immutable headers
         */
        public Headers build() {
            return fields.isEmpty() ? EMPTY : new Headers(fields.toArray(new String[0]));
        }
    }
}
