// Lists the plans a naptracker server publishes, with plain Node.js:
//   npm install @naptracker/sdk && NAPTRACKER_URL=http://localhost:8080 node list-plans.mjs
import { createClient, paginate } from "@naptracker/sdk";

const api = createClient({ baseUrl: process.env.NAPTRACKER_URL ?? "http://localhost:8080", token: process.env.NAPTRACKER_TOKEN });
for await (const plan of paginate(api, "/v1/plans")) {
  console.log(plan.code, plan.status, plan.title.en ?? plan.title.ru ?? plan.title.tg);
}
