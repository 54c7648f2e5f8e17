package bench

import "context"

// recordArrivals notes, in the bench's own database, when each TITLE row
// reached history: the start of the drain transaction that wrote it (a
// little before it commits), which is what the benches measure a change's
// lag to. History keeps no such time of its own; a statement trigger on
// the bench's database costs one insert per drain's write.
func recordArrivals(ctx context.Context, s *stack) error {
	_, err := s.db.Pool.Exec(ctx, `
		CREATE TABLE bench_arrivals (
			portal_id bigint NOT NULL, entity integer NOT NULL, entity_id bigint NOT NULL,
			new_value text, at timestamptz NOT NULL DEFAULT now()
		);
		CREATE FUNCTION bench_arrived() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			INSERT INTO bench_arrivals (portal_id, entity, entity_id, new_value)
			SELECT portal_id, entity, entity_id, new_value FROM added WHERE field = 'TITLE';
			RETURN NULL;
		END $$;
		CREATE TRIGGER bench_arrived AFTER INSERT ON history
			REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION bench_arrived();`)
	return err
}
