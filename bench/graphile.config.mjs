// PostGraphile v5 as the benchmark's peer (kept here so that a checkout anywhere can run the
// benchmark): the Amber preset, production
// mode, no GraphiQL, no watch, no explain, condition/orderBy on every column as in v4.
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makePgService } from "postgraphile/adaptors/pg";

export default {
  extends: [PostGraphileAmberPreset],
  pgServices: [
    makePgService({
      connectionString: process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test",
      schemas: [process.env.PG_SCHEMA ?? "public"],
    }),
  ],
  grafserv: {
    host: "127.0.0.1",
    port: Number(process.env.PORT ?? 5678),
    graphiql: false,
    watch: false,
    graphqlOverGET: false,
  },
  grafast: { explain: false },
  disablePlugins: ["PgIndexBehaviorsPlugin"],
};
