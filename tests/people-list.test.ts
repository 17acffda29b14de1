import { describe, expect, it } from "vitest";
import { listPeople, PEOPLE_PAGE_SIZE } from "@/lib/authority/people";
import { db } from "@/lib/db/client";
import { withFreshDatabase } from "./helpers/db";
import { makeUser } from "./helpers/users";

withFreshDatabase();

describe("/admin/people's listing", () => {
  it("lists approved people a page at a time and finds one by name, e-mail or GID in any case", async () => {
    const made = [];
    for (let i = 0; i < PEOPLE_PAGE_SIZE + 6; i++) made.push(await makeUser(i % 2 ? "RESEARCHER" : "HOSPITAL_STAFF"));
    const waiting = await makeUser("RESEARCHER", "PENDING");
    const approved = await db().user.count({ where: { status: "APPROVED" } });

    const one = await listPeople({ page: 1 });
    expect(one.people).toHaveLength(PEOPLE_PAGE_SIZE);
    expect(one.total).toBe(approved);
    expect(one.pages).toBe(Math.ceil(approved / PEOPLE_PAGE_SIZE));
    const two = await listPeople({ page: 2 });
    expect(two.people).toHaveLength(approved - PEOPLE_PAGE_SIZE);
    // the pages do not overlap and together hold everyone approved, nobody pending
    const ids = new Set([...one.people, ...two.people].map((p) => p.id));
    expect(ids.size).toBe(approved);
    for (const u of made) expect(ids.has(u.id)).toBe(true);
    expect(ids.has(waiting.id)).toBe(false);
    // a page past the end shows the last one
    expect((await listPeople({ page: 99 })).page).toBe(two.page);

    const target = await db().user.findUniqueOrThrow({ where: { id: made[7].id }, select: { name: true, email: true, gid: true } });
    for (const search of [target.email.toUpperCase(), target.name.toLowerCase(), target.gid]) {
      const found = await listPeople({ search, page: 1 });
      expect(found.total).toBe(1);
      expect(found.people[0].email).toBe(target.email);
    }
    const waitingEmail = (await db().user.findUniqueOrThrow({ where: { id: waiting.id }, select: { email: true } })).email;
    expect((await listPeople({ search: waitingEmail, page: 1 })).total).toBe(0);
    expect(await listPeople({ search: "nobody-by-this-name", page: 1 })).toMatchObject({ total: 0, people: [], page: 1, pages: 1 });
  });
});
