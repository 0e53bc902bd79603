extension Migrations {
    /// Typo tolerance through a dictionary of title words: a word of the query that the
    /// full-text search does not find is replaced by the dictionary's trigram-similar
    /// words, then searched again. The dictionary is small (distinct words), so this takes
    /// a millisecond where a trigram scan of every title took tens. Also an index for the
    /// price filters, which otherwise read every full-text match from the heap.
    static let searchWords = Migration(
        version: 2, name: "search word dictionary",
        statements: [
            "CREATE TABLE search_words (word text PRIMARY KEY)",
            "CREATE INDEX search_words_trigram ON search_words USING gin (word gin_trgm_ops)",
            """
            CREATE FUNCTION title_words(title text) RETURNS SETOF text LANGUAGE sql IMMUTABLE AS $$
                SELECT DISTINCT word FROM regexp_split_to_table(lower(title), '[^[:alnum:]]+') AS word
                WHERE length(word) >= 3
            $$
            """,
            """
            INSERT INTO search_words (word)
            SELECT DISTINCT title_words(title) FROM events ON CONFLICT DO NOTHING
            """,
            """
            CREATE FUNCTION events_collect_words() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO search_words (word) SELECT title_words(NEW.title) ON CONFLICT DO NOTHING;
                RETURN NULL;
            END
            $$
            """,
            """
            CREATE TRIGGER events_collect_words AFTER INSERT OR UPDATE OF title ON events
            FOR EACH ROW EXECUTE FUNCTION events_collect_words()
            """,
            "DROP INDEX events_title_trigram",
            "CREATE INDEX events_published_by_price ON events (min_price_minor, starts_at) WHERE status = 'published'",
        ])
}
