package org.leverplus.data;

/**
 * A data file that does not have the expected shape. The message always names the file, the query key (when one is
 * known) and the field, and says what was expected and what was found.
 */
public final class RlDataFormatException extends IllegalArgumentException {
    private final String file;
    private final String queryKey;
    private final String field;

    public RlDataFormatException(String file, String queryKey, String field, String problem) {
        super(format(file, queryKey, field, problem));
        this.file = file;
        this.queryKey = queryKey;
        this.field = field;
    }

    static String format(String file, String queryKey, String field, String problem) {
        StringBuilder sb = new StringBuilder();
        sb.append(file == null ? "<input>" : file);
        if (queryKey != null) sb.append(": query \"").append(queryKey).append('"');
        if (field != null) sb.append(": ").append(field);
        return sb.append(": ").append(problem).toString();
    }

    /** The file, or null. */
    public String file() {
        return file;
    }

    /** The query key, or null. */
    public String queryKey() {
        return queryKey;
    }

    /** The field path (e.g. {@code pointer_candidates[3].pointer}), or null. */
    public String field() {
        return field;
    }
}
