/* The book's calculator: what a person pays, who pays the rest and from which day they are covered.
 *
 * A second implementation of policylib's engine (policylib/table.py, policylib/engine.py), run on the
 * data the build exports from the same rule files (data.js, written by policylib/calculator.py); the
 * tests hold its answers equal to the engine's. Dates are whole days since 1970-01-01 (UTC).
 * Text from the rule files is only ever inserted with textContent, never as markup.
 */
(function () {
  "use strict";

  var CIRCUMSTANCES = ["regular", "newborn", "employee_lapse", "veteran", "released_prisoner", "migrant_worker"];
  var EVENT_FOR = { newborn: "born", employee_lapse: "lapsed", veteran: "discharged", released_prisoner: "released" };
  var EVENTS = ["born", "lapsed", "discharged", "released", "recognised"];
  var FACTS = ["student", "rural_hukou", "parent_insured", "years_uninsured", "years_back_paid",
    "disability_grade", "employee_months"];
  var BOOL_FACTS = { student: true, rural_hukou: true, parent_insured: true };
  var DAY_MS = 86400000;

  // --- dates ------------------------------------------------------------------------------------------

  function toDay(iso) {
    if (iso === null || iso === undefined || iso === "") return null;
    var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
    if (!m) return undefined;
    var y = +m[1], mo = +m[2], d = +m[3];
    var t = Date.UTC(y, mo - 1, d);
    var back = new Date(t);
    if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return undefined;
    return Math.round(t / DAY_MS);
  }
  function iso(day) {
    if (day === null || day === undefined) return null;
    return new Date(day * DAY_MS).toISOString().slice(0, 10);
  }
  function parts(day) {
    var d = new Date(day * DAY_MS);
    return [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate()];
  }
  function addMonths(day, months) {
    var p = parts(day);
    var total = p[0] * 12 + (p[1] - 1) + months;
    var y = Math.floor(total / 12), m = total - y * 12;
    var length = Math.round((Date.UTC(y, m + 1, 1) - Date.UTC(y, m, 1)) / DAY_MS);
    return Math.round(Date.UTC(y, m, Math.min(p[2], length)) / DAY_MS);
  }
  function yearOf(day) { return parts(day)[0]; }
  function monthDay(day) { var p = parts(day); return p[1] * 100 + p[2]; }
  function monthStart(day) { var p = parts(day); return Math.round(Date.UTC(p[0], p[1] - 1, 1) / DAY_MS); }
  function lastDay(event, length, unit, convention) {
    var end = unit === "days" ? event + length : addMonths(event, length);
    return convention === "civil-code" ? end : end - 1;
  }

  // --- the data, with dates as day numbers --------------------------------------------------------------

  var DATA = window.POLICYLIB_CALCULATOR || { rules: [], categories: [], day_count_words: {} };
  var CONVENTION_WORDS = DATA.day_count_words;
  var PREPARED = {};

  function prepare(rs) {
    if (PREPARED[rs.key] && PREPARED[rs.key].raw === rs) return PREPARED[rs.key];
    var windows = {};
    rs.windows.forEach(function (w) { windows[w.id] = { start: toDay(w.start), end: toDay(w.end), raw: w }; });
    var p = {
      raw: rs, windows: windows,
      periodStart: toDay(rs.period.start), periodEnd: toDay(rs.period.end), first: toDay(rs.first_payment),
      ends: rs.start_rules.map(function (r) { return r.ends ? toDay(r.ends) : toDay(rs.period.end); }),
      asOf: {}
    };
    PREPARED[rs.key] = p;
    return p;
  }

  var CATS = null;
  function categoryTree() {
    if (CATS) return CATS;
    var parents = {}, children = {}, names = {}, status = {};
    DATA.categories.forEach(function (c) {
      parents[c.id] = c.parent || null;
      names[c.id] = c.name_zh;
      if (c.kind === "status") status[c.id] = true;
      if (c.parent) (children[c.parent] = children[c.parent] || []).push(c.id);
    });
    CATS = { parents: parents, children: children, names: names, status: status };
    return CATS;
  }

  function InputError(argument, message) {
    this.argument = argument;
    this.message = argument + ": " + message;
  }

  // --- conditions (policylib.table.condition, on one person) ----------------------------------------------

  function windowTest(paid, start, end, after) {
    if (after) {
      if (end === null) return { holds: false, open: start === null ? true : paid > start };
      return { holds: paid > end };
    }
    var inside = start === null ? true : paid >= start;
    if (end === null) {
      var first = start === null ? false : paid === start;
      return { holds: first, open: inside && !first };
    }
    return { holds: inside && paid <= end };
  }

  function ageOn(born, onIso) {
    var on = onIso.split("-").map(Number);
    var p = parts(born);
    return on[0] - p[0] - ((on[1] * 100 + on[2]) < (p[1] * 100 + p[2]) ? 1 : 0);
  }

  function recognition(person) {
    var given = person.recognised !== null;
    return { day: given ? person.recognised : (person.born === null ? 0 : person.born), known: given || person.born !== null };
  }

  function fact(person, name) { var v = person[name]; return v === null ? 0 : v; }

  function condition(p, c, person, convention) {
    var rs = p.raw, paid = person.paid, w, holds;
    if (c.kind === "paid_in_window" || c.kind === "paid_after_window") {
      w = p.windows[c.window];
      return windowTest(paid, w.start, w.end, c.kind === "paid_after_window");
    }
    if (c.kind === "recognised_after_window") {
      var rec = recognition(person);
      return { holds: rec.known && rec.day > p.windows[c.window].end };
    }
    if (c.kind === "paid_after_period") return { holds: paid > p.periodEnd };
    if (c.kind === "student" || c.kind === "rural_hukou") {
      return { holds: fact(person, c.kind) === (c.value === false ? 0 : 1), absent: person[c.kind] === null, input: c.kind };
    }
    if (c.kind === "fact_is" || c.kind === "fact_at_least" || c.kind === "fact_at_most") {
      var v = fact(person, c.fact), n = c.number || 0;
      if (c.kind === "fact_is") holds = v === (c.value === false ? 0 : 1);
      else holds = c.kind === "fact_at_least" ? v >= n : v <= n;
      return { holds: holds, absent: person[c.fact] === null, input: c.fact };
    }
    if (c.kind === "insured_last_year") {
      return { holds: (fact(person, "years_uninsured") === 0) === (c.value !== false),
        absent: person.years_uninsured === null, input: "years_uninsured" };
    }
    if (c.kind === "years_uninsured_at_least" || c.kind === "years_uninsured_below") {
      var years = fact(person, "years_uninsured");
      return { holds: c.kind === "years_uninsured_at_least" ? years >= (c.years || 0) : years < (c.years || 0),
        absent: person.years_uninsured === null, input: "years_uninsured" };
    }
    if (c.kind === "age_at_least" || c.kind === "age_below") {
      var age = ageOn(person.born === null ? 0 : person.born, c.as_of);
      return { holds: c.kind === "age_at_least" ? age >= (c.years || 0) : age < (c.years || 0),
        absent: person.born === null, input: "born" };
    }
    var name = c.event || "born";
    var isPaid = name === "paid";
    var event = isPaid ? paid : (person[name] === null ? 0 : person[name]);
    var absent = isPaid ? false : person[name] === null;
    var include = c.include_bound !== false;
    if (c.kind === "paid_within" || c.kind === "paid_after") {
      var last = lastDay(event, c.length || 0, c.unit || "days", convention);
      if (c.kind === "paid_within") holds = paid >= event && (include ? paid <= last : paid < last);
      else holds = include ? paid >= last : paid > last;
      return { holds: holds, absent: absent, input: name };
    }
    if (c.kind === "born_between") {
      var md = monthDay(event);
      return { holds: md >= c.lo && md <= c.hi, absent: absent, input: name };
    }
    if (c.kind === "event_in_coverage_year") return { holds: yearOf(event) === rs.year, absent: absent, input: name };
    if (c.kind === "event_before_coverage_year") return { holds: yearOf(event) < rs.year, absent: absent, input: name };
    throw new Error("unknown condition kind " + c.kind);
  }

  // Where every condition holds, from reach: {holds, needs, open, inputs}.
  function conditions(p, conds, person, convention, reach) {
    var unknown = false, unstated = false, asked = [];
    for (var i = 0; i < conds.length && reach; i++) {
      var out = condition(p, conds[i], person, convention);
      var maybe = out.holds || !!out.absent || !!out.open;
      if (out.absent) { unknown = true; if (out.input && asked.indexOf(out.input) < 0) asked.push(out.input); }
      if (out.open) unstated = true;
      reach = reach && maybe;
    }
    unknown = unknown && reach;
    unstated = unstated && reach && !unknown;
    return { holds: reach && !unknown && !unstated, needs: unknown, open: unstated, inputs: reach ? asked : [] };
  }

  function combo(person) {
    var tree = categoryTree(), out = {};
    person.categories.forEach(function (c) { out[c] = true; if (tree.parents[c]) out[tree.parents[c]] = true; });
    return out;
  }

  function ruleMatch(p, rule, person, convention) {
    var reach = true;
    if (!rule.when.some(function (c) { return c.kind === "paid_after_period"; })) reach = person.paid <= p.periodEnd;
    if (rule.categories.length) {
      var mine = combo(person);
      reach = reach && rule.categories.some(function (c) { return mine[c]; });
    }
    return conditions(p, rule.when, person, convention, reach);
  }

  // --- the hit policy (policylib.table.select) --------------------------------------------------------------

  function tiers(rs, circumstance) {
    var own = [], regular = [];
    rs.start_rules.forEach(function (r, i) {
      if (r.circumstance === circumstance) own.push(i);
      if (r.circumstance === "regular") regular.push(i);
    });
    return circumstance === "regular" ? [own] : [own, regular];
  }

  function tierMatch(p, tier, person, convention) {
    var rules = p.raw.start_rules;
    var found = tier.map(function (i) { return ruleMatch(p, rules[i], person, convention); });
    var winners = found.map(function (f) { return f.holds; });
    var needs = found.map(function (f) { return f.needs; });
    var unstated = found.some(function (f) { return f.open; });
    var position = {};
    tier.forEach(function (i, k) { position[rules[i].id] = k; });
    tier.forEach(function (i, k) {
      rules[i].overrides.forEach(function (other) {
        if (other in position && found[k].holds) { winners[position[other]] = false; needs[position[other]] = false; }
      });
    });
    var inputs = [];
    needs.forEach(function (n, k) { if (n) found[k].inputs.forEach(function (x) { if (inputs.indexOf(x) < 0) inputs.push(x); }); });
    var anyNeeds = needs.some(Boolean);
    return { winners: winners, needs: anyNeeds, open: unstated && !anyNeeds, inputs: inputs };
  }

  function select(p, person, convention) {
    var circ = person.circumstance;
    var ts = tiers(p.raw, circ);
    for (var t = 0; t < ts.length; t++) {
      var tier = ts[t];
      if (!tier.length) continue;
      var found = tierMatch(p, tier, person, convention);
      if (found.needs) return { rule: -1, needs: true, open: false, inputs: found.inputs };
      var k = found.winners.indexOf(true);
      if (k >= 0) return { rule: tier[k], needs: false, open: false, inputs: [] };
      if (found.open) return { rule: -1, needs: false, open: true, inputs: [] };
    }
    return { rule: -1, needs: false, open: false, inputs: [] };
  }

  function residentClass(p, person) {
    var classes = p.raw.classes;
    for (var k = 0; k < classes.length; k++) {
      var found = conditions(p, classes[k].when, person, "civil-code", true);
      if (found.needs) return { index: -1, needs: true, inputs: found.inputs };
      if (found.holds) return { index: k, needs: false, inputs: [] };
    }
    return { index: -1, needs: false, inputs: [] };
  }

  function ineligibleGroups(p, person) {
    var mine = combo(person), out = [], needs = false, inputs = [];
    p.raw.groups.forEach(function (g) {
      if (!g.when.length) return;
      var member = !!mine[g.category];
      var found = conditions(p, g.when, person, "civil-code", member);
      if (member && !found.holds && !found.needs) out.push(g.id);
      if (found.needs) {
        needs = true;
        found.inputs.forEach(function (x) { if (inputs.indexOf(x) < 0) inputs.push(x); });
      }
    });
    return { ids: out, needs: needs, inputs: inputs };
  }

  function needsError(person, inputs) {
    var names = inputs.slice().sort();
    if (!names.length) names = ["born"];
    var flags = names.map(function (n) { return "--" + n.replace(/_/g, "-"); }).join(", ");
    return new InputError("--" + names[0].replace(/_/g, "-"), "a " + person.circumstance +
      " quote under this notice's rules needs what the person has not given (" + flags + ")");
  }

  // --- the start of cover (policylib.table.cover) -------------------------------------------------------

  function waitingLength(start, person) {
    var years = fact(person, "years_uninsured");
    var back = start.repairable ? fact(person, "years_back_paid") : 0;
    var length = (start.length || 0) + Math.max(0, years - 1 - back) * (start.per_extra_year || 0);
    if (start.floor_after_years !== undefined && start.floor_after_years !== null && years >= start.floor_after_years) {
      length = Math.max(length, start.floor_length || 0);
    }
    return length;
  }

  function startDay(p, rule, person, convention) {
    var s = rule.starts, paid = person.paid;
    var include = s.include_bound === true;
    switch (s.kind) {
      case "coverage_start": return p.periodStart;
      case "event_day": return s.event === "paid" ? paid : (person[s.event] === null ? 0 : person[s.event]);
      case "payment_day": return paid;
      case "day_after_payment": return paid + 1;
      case "after_payment_period": return lastDay(paid, s.length || 0, s.unit || "days", convention) + (include ? 0 : 1);
      case "payment_month_start": return monthStart(paid);
      case "variable_wait":
        return lastDay(paid, waitingLength(s, person), s.unit || "days", convention) + (include ? 0 : 1);
      default: return null;
    }
  }

  function cover(p, index, person, convention) {
    var rule = p.raw.start_rules[index];
    var start = startDay(p, rule, person, convention);
    var known = start !== null;
    if (!known) start = 0;
    var beforePeriod = known && start < p.periodStart && !rule.may_precede_period;
    if (beforePeriod) start = p.periodStart;
    var beforeBirth = known && person.born !== null && start < person.born;
    if (beforeBirth) start = person.born;
    var end = p.ends[index];
    var waits = rule.starts.kind === "after_payment_period" || rule.starts.kind === "variable_wait";
    var uncounted = convention === "civil-code" ? 1 : 0;
    return { start: start, known: known, end: end, covered: Math.max(0, end - start + 1),
      waiting: waits ? Math.max(0, start - person.paid - uncounted) : 0, beforePeriod: beforePeriod, beforeBirth: beforeBirth };
  }

  // --- assistance (policylib.engine.assistance) -------------------------------------------------------------

  function prices(rs, classIndex) {
    if (classIndex >= 0) return [rs.classes[classIndex].personal_contribution, rs.classes[classIndex].fiscal_subsidy];
    return [rs.personal_contribution, rs.fiscal_subsidy];
  }

  function resolveGroups(rs, category) {
    var tree = categoryTree();
    if (!(category in tree.parents)) {
      throw new InputError("category", "unknown category '" + category + "'; choices: " + Object.keys(tree.parents).sort().join(", "));
    }
    var direct = rs.groups.filter(function (g) { return g.category === category; });
    if (direct.length) return direct;
    var localSubs = (tree.children[category] || []).filter(function (c) {
      return rs.groups.some(function (g) { return g.category === c; });
    });
    if (localSubs.length) {
      throw new InputError("category", rs.name_en + " " + rs.year + " splits '" + category +
        "' into sub-categories; choose one of: " + localSubs.join(", "));
    }
    var parent = tree.parents[category];
    return parent ? rs.groups.filter(function (g) { return g.category === parent; }) : [];
  }

  // Python's rounding of a formatted number: halves to the even neighbour.
  function halfEven(x) {
    var r = Math.round(x);
    return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
  }

  function groupValue(g, contribution) {
    if (g.help === "full") return contribution;
    if (g.help === "fixed" || g.help === "at_least") return g.amount;
    if (g.help === "share" && contribution !== null && g.share !== null) {
      var exact = contribution * g.share;
      return Math.abs(exact - Math.round(exact)) < 1e-9 ? Math.round(exact) : null;
    }
    if (g.help === "none") return 0;
    return null;
  }

  function deferredCategories(rs, p, cats, recognised) {
    var tree = categoryTree(), out = [];
    rs.timing.forEach(function (t) {
      var late = recognised !== null && recognised > p.windows[t.window].end;
      if (!late) return;
      cats.forEach(function (c) {
        if ((t.categories.indexOf(c) >= 0 || t.categories.indexOf(tree.parents[c]) >= 0) && out.indexOf(c) < 0) out.push(c);
      });
    });
    return out;
  }

  function assistance(rs, cats, deferred, classIndex, ineligible) {
    var contribution = prices(rs, classIndex)[0].amount;
    var tree = categoryTree();
    var notes = [], cited = [], candidates = [];
    var excluded = {};
    rs.excluded.forEach(function (g) { excluded[g.category] = g; });
    var other = rs.other_groups, otherUnstated = false;
    for (var ci = 0; ci < cats.length; ci++) {
      var cat = cats[ci];
      if (deferred.indexOf(cat) >= 0) {
        var timing = rs.timing.filter(function (t) {
          return t.categories.indexOf(cat) >= 0 || t.categories.indexOf(tree.parents[cat]) >= 0;
        })[0];
        notes.push("'" + cat + "' was recognised after the " + timing.window + " window: its help applies from next year, not this year.");
        cited.push(timing);
        continue;
      }
      if (cat in excluded) {
        notes.push("'" + cat + "' (" + excluded[cat].name_zh + ") is excluded from assistance by this notice.");
        cited.push(excluded[cat]);
        continue;
      }
      var groups = resolveGroups(rs, cat);
      if (!groups.length && !other.stated && other.refers_to) {
        notes.push("Assistance for '" + cat + "' is not stated in this notice; it is set by " + other.refers_to + ".");
        cited.push(other);
        otherUnstated = true;
        continue;
      }
      if (!groups.length) {
        notes.push("No assistance is stated for '" + cat + "' in this notice.");
        if (!other.stated || other.note) cited.push(other);
        continue;
      }
      groups.forEach(function (g) {
        if (ineligible.indexOf(g.id) >= 0) {
          notes.push(g.name_zh + ": its help is for those who are " + g.when_words.join(" and ") + "; this person is not.");
          return;
        }
        candidates.push([g, groupValue(g, contribution)]);
      });
    }
    if (!candidates.length) {
      return { amount: otherUnstated ? null : 0, upper: false, payer: null, notes: notes, cited: cited };
    }
    var order = {};
    rs.groups.forEach(function (g, i) { order[g.id] = i; });
    candidates = candidates.map(function (gv, i) { return [gv, i]; }).sort(function (a, b) {
      return (order[a[0][0].id] - order[b[0][0].id]) || (a[1] - b[1]);
    }).map(function (x) { return x[0]; });
    var unknown = candidates.filter(function (gv) { return gv[1] === null; }).map(function (gv) { return gv[0]; });
    var settled = contribution !== null && candidates.some(function (gv) { return gv[1] !== null && gv[1] >= contribution; });
    if ((unknown.length || otherUnstated) && settled) {
      notes.push("Another group's help is not stated, but a full help already covers the whole contribution.");
      candidates = candidates.filter(function (gv) { return gv[1] !== null; });
      unknown = [];
      otherUnstated = false;
    }
    if (unknown.length || otherUnstated) {
      unknown.forEach(function (g) {
        var note;
        if (g.help === "share" && g.stated && contribution !== null && g.share !== null) {
          note = halfEven(g.share * 100) + "% of " + contribution + " yuan is " + (contribution * g.share) +
            " yuan; amounts here are whole yuan and the notice states no rounding, so the help is left unknown";
        } else {
          note = g.note || "assistance not stated in this notice";
        }
        notes.push(g.name_zh + ": " + note);
        cited.push(g);
      });
      var payers = [];
      candidates.forEach(function (gv) { if (payers.indexOf(gv[0].payer) < 0) payers.push(gv[0].payer); });
      return { amount: null, upper: false, payer: payers.length === 1 ? payers[0] : null, notes: notes, cited: cited };
    }
    var best = candidates[0];
    candidates.forEach(function (gv) { if ((gv[1] || 0) > (best[1] || 0)) best = gv; });
    var bestGroup = best[0], bestValue = best[1];
    if (candidates.length > 1) {
      if (rs.multiple_groups.stated) {
        notes.push("Several assisted groups: the highest help only (就高不就低), no stacking.");
        cited.push(rs.multiple_groups);
      } else {
        var distinct = {};
        candidates.forEach(function (gv) {
          distinct[contribution === null ? gv[1] : Math.min(gv[1] || 0, contribution)] = true;
        });
        if (Object.keys(distinct).length > 1) {
          notes.push("Several assisted groups with different help: the notice states no rule for them (the highest single help would be " +
            bestValue + " yuan), so the help is not stated.");
          cited.push(rs.multiple_groups);
          return { amount: null, upper: false, payer: null, notes: notes, cited: cited };
        }
        notes.push("Several assisted groups giving the same help: the notice states no rule for them, and any rule gives that help once.");
      }
    }
    if (contribution !== null && bestValue !== null && bestValue > contribution) {
      notes.push("Help capped at the personal contribution (" + contribution + " yuan).");
      bestValue = contribution;
    }
    var floors = candidates.filter(function (gv) { return gv[0].help === "at_least"; }).map(function (gv) { return gv[0]; });
    var upper = floors.length > 0 && (contribution === null || bestValue === null || bestValue < contribution);
    if (bestGroup.help === "at_least") {
      notes.push(bestGroup.name_zh + ": help of at least " + bestGroup.amount + " yuan (不低于): the amount due is an upper bound.");
    } else if (upper) {
      floors.forEach(function (g) {
        notes.push(g.name_zh + ": help of at least " + g.amount + " yuan (不低于) may exceed " + bestValue + " yuan: the amount due is an upper bound.");
        cited.push(g);
      });
    }
    if (bestGroup.interpretation) notes.push("Reading of " + bestGroup.name_zh + ": " + bestGroup.interpretation);
    cited.push(bestGroup);
    var payer = bestGroup.payer;
    var tied = [];
    candidates.forEach(function (gv) {
      var v = contribution === null || gv[1] === null ? gv[1] : Math.min(gv[1], contribution);
      if (v === bestValue && gv[0].payer && tied.indexOf(gv[0].payer) < 0) tied.push(gv[0].payer);
    });
    if (tied.length > 1) {
      notes.push("Several groups give the same help (" + bestValue + " yuan) through different payers (" + tied.sort().join("; ") +
        "); the notice does not say which one pays.");
      payer = null;
    } else if (upper && floors.some(function (g) { return g.payer !== payer; })) {
      notes.push("A group whose help is only a floor (不低于) may give more through another payer, so the payer is not stated.");
      payer = null;
    }
    return { amount: bestValue, upper: upper, payer: payer, notes: notes, cited: cited, group: bestGroup };
  }

  function dues(rs, rule, help, classIndex) {
    var pr = prices(rs, classIndex), cv = pr[0], fv = pr[1];
    var contribution = cv.amount, fiscal = fv.amount;
    var total = contribution !== null && fiscal !== null ? contribution + fiscal : null;
    var minimum = total !== null && fv.at_least;
    if (rule.due === "standard") {
      var due = contribution !== null && help.amount !== null ? contribution - Math.min(help.amount, contribution) : null;
      return { due: due, upper: due !== null && help.upper, subsidy: help.amount, payer: help.payer, total: total, minimum: minimum };
    }
    if (rule.due === "personal_contribution") return { due: contribution, upper: false, subsidy: 0, payer: null, total: total, minimum: minimum };
    if (rule.due === "late_payer_total") {
      var late = rs.late_payer_total.amount;
      return { due: late, upper: false, subsidy: 0, payer: null, total: late, minimum: false };
    }
    if (rule.due === "waived") return { due: 0, upper: false, subsidy: null, payer: null, total: total, minimum: minimum };
    return { due: null, upper: false, subsidy: null, payer: null, total: null, minimum: false };
  }

  // --- the quote (policylib.engine.quote) -----------------------------------------------------------

  function citationsOf(rs, value) {
    return value.cite.map(function (c) {
      var source = c.source || rs.source;
      return { document: rs.documents[source] === undefined ? source : rs.documents[source], clause: c.clause,
        excerpt: c.quote, source: source };
    });
  }

  function addCites(list, rs, value) {
    citationsOf(rs, value).forEach(function (c) { list.push(c); });
  }

  function checkPerson(person) {
    if (CIRCUMSTANCES.indexOf(person.circumstance) < 0) {
      throw new InputError("event", "unknown event '" + person.circumstance + "'; choices: " + CIRCUMSTANCES.join(", "));
    }
    if (person.paid === null) throw new InputError("--paid", "the payment date is required");
    var event = EVENT_FOR[person.circumstance];
    if (event) {
      var d = person[event];
      if (d === null) throw new InputError("--" + event, "a " + person.circumstance + " quote needs the " + event + " date");
      if (d > person.paid) throw new InputError("--paid", "payment " + iso(person.paid) + " is before the " + event + " date " + iso(d));
    }
    if (person.born !== null && person.born > person.paid) {
      throw new InputError("--paid", "payment " + iso(person.paid) + " is before the birth " + iso(person.born));
    }
    [["years_uninsured", 0, 150, "years"], ["years_back_paid", 0, 150, "years"], ["disability_grade", 1, 4, "grade"],
      ["employee_months", 0, 12, "months"]].forEach(function (x) {
      var v = person[x[0]];
      if (v !== null && !(x[1] <= v && v <= x[2])) {
        throw new InputError("--" + x[0].replace(/_/g, "-"), "must be " + x[3] + " from " + x[1] + " to " + x[2] + ", got " + v);
      }
    });
    if ((person.years_back_paid || 0) > (person.years_uninsured || 0)) {
      throw new InputError("--years-back-paid", "cannot exceed the years without insurance");
    }
  }

  /* A person: {circumstance, categories: [...], paid, born, lapsed, discharged, released, recognised (ISO
   * strings or null), student, rural_hukou, parent_insured (true/false/null), years_uninsured,
   * years_back_paid, disability_grade, employee_months (numbers or null)}. Returns the engine's Quote as
   * JSON (every field, the notes included), plus the words of the rule applied, or {error: argument, message}. */
  function quote(rs, input, convention) {
    convention = convention || "civil-code";
    try {
      return quoteOrThrow(rs, input, convention);
    } catch (e) {
      if (e instanceof InputError) return { error: e.argument, message: e.message };
      throw e;
    }
  }

  function toPerson(input) {
    var person = { circumstance: input.circumstance || "regular", categories: (input.categories || []).slice() };
    ["paid"].concat(EVENTS).forEach(function (n) {
      var d = toDay(input[n]);
      if (d === undefined) throw new InputError("--" + n, "'" + input[n] + "' is not a date in the form YYYY-MM-DD");
      person[n] = d;
    });
    FACTS.forEach(function (n) {
      var v = input[n];
      if (v === undefined || v === null || v === "") person[n] = null;
      else if (BOOL_FACTS[n]) person[n] = v === true || v === "yes" ? 1 : 0;
      else person[n] = +v;
    });
    return person;
  }

  function quoteOrThrow(rs, input, convention) {
    if (!CONVENTION_WORDS[convention]) throw new InputError("--day-count", "unknown convention '" + convention + "'; choices: civil-code, inclusive");
    var person = toPerson(input);
    checkPerson(person);
    var p = prepare(rs);
    var paid = person.paid;
    var classIndex = -1;
    if (rs.classes.length) {
      var cls = residentClass(p, person);
      if (cls.needs) throw needsError(person, cls.inputs);
      classIndex = cls.index;
    }
    var pr = prices(rs, classIndex), cv = pr[0], fv = pr[1];
    var cites = [], notes = ["Day counting: " + CONVENTION_WORDS[convention]];
    if (rs.cut_off) notes.push("The source text is partial: " + rs.cut_off + ". What it does not reach is not stated.");
    var cats = person.categories.filter(function (c, i, a) { return a.indexOf(c) === i; }).sort();
    if (person.recognised !== null && person.recognised > paid) {
      notes.push("Recognised as a member of the assisted groups on " + iso(person.recognised) + ", after paying: the answer is the person's position once recognised.");
      rs.refunds.forEach(function (r) {
        if (r.applies_when === "recognised_after_payment") { notes.push("Refund: " + r.summary); addCites(cites, rs, r); }
      });
    }
    var recognised = person.recognised !== null ? person.recognised : person.born;
    var deferred = deferredCategories(rs, p, cats, recognised);
    var ineligible = [];
    if (rs.groups.some(function (g) { return g.when.length; })) {
      var inel = ineligibleGroups(p, person);
      if (inel.needs) throw needsError(person, inel.inputs);
      ineligible = inel.ids;
    }
    var help = assistance(rs, cats, deferred, classIndex, ineligible);
    var klass = classIndex >= 0 ? rs.classes[classIndex] : null;
    if (klass) {
      notes.push("Resident class: " + klass.name_zh + " (" + klass.id + "), priced at its own personal contribution and fiscal subsidy.");
      addCites(cites, rs, klass);
    }
    if (!rs.period.stated) notes.push("Coverage period: " + rs.period.note);
    var q = {
      jurisdiction: rs.jurisdiction, year: rs.year, circumstance: person.circumstance, categories: person.categories.slice(),
      paid: iso(paid), payable: null, payable_reason: "", rule: null, resident_class: klass ? klass.id : null,
      personal_contribution: cv.amount, personal_due: null, personal_due_is_upper_bound: false, subsidy: null,
      subsidy_payer: null, fiscal_subsidy: fv.amount, total_premium: null, total_premium_is_minimum: false,
      coverage_start: null, coverage_end: null, covered_days: null, waiting_days: null, day_count: convention,
      citations: cites, notes: notes
    };
    var tree = categoryTree();
    var named = {};
    rs.excluded.forEach(function (g) { named[g.category] = true; });
    rs.groups.forEach(function (g) { named[g.category] = true; });
    var unaddressed = cats.filter(function (c) { return tree.status[c] && !named[c]; });
    if (unaddressed.length) {
      q.resident_class = null;
      q.payable_reason = "not stated in this notice: whether " + unaddressed[0] + " (" + tree.names[unaddressed[0]] + ") enrol in resident insurance";
      notes.push(q.payable_reason);
      return finish(q);
    }
    var excluded = rs.excluded.filter(function (g) {
      return g.excludes === "enrolment" && cats.some(function (c) { return g.category === c || g.category === tree.parents[c]; });
    });
    if (excluded.length) {
      q.resident_class = null;
      q.payable = false;
      q.payable_reason = excluded[0].name_zh + " ('" + excluded[0].category + "') do not enrol in resident insurance under this notice";
      notes.push(q.payable_reason);
      addCites(cites, rs, excluded[0]);
      return finish(q);
    }
    var found = select(p, person, convention);
    if (found.needs) throw needsError(person, found.inputs);
    var rule = found.rule >= 0 ? rs.start_rules[found.rule] : null;
    if (rule === null) {
      var unstated = rs.windows.filter(function (w) { return !w.stated && (w.start === null || w.end === null); });
      var periodEnd = p.periodEnd;
      var closes = rs.period.stated || rs.windows.some(function (w) { return w.end !== null && toDay(w.end) >= periodEnd; });
      if (found.open && unstated.length) {
        q.payable_reason = "not stated in this notice: whether a payment on " + iso(paid) + " falls in " +
          unstated.map(function (w) { return w.name_zh + " (" + (w.note === null ? "None" : w.note) + ")"; }).join("; ");
        unstated.forEach(function (w) { addCites(cites, rs, w); });
      } else if (paid > periodEnd && closes) {
        q.payable = false;
        q.payable_reason = "payment on " + iso(paid) + " is after the coverage period ended (" + rs.period.end + ")";
      } else if (paid > periodEnd) {
        q.payable_reason = "not stated in this notice: it neither states the end of the coverage period (read as " + rs.period.end +
          ") nor takes payments up to it, so a payment on " + iso(paid) + " is not provided for";
      } else if (paid < p.first) {
        q.payable_reason = "payment on " + iso(paid) + " is before the first collection window opens (" + rs.first_payment +
          "): outside what this notice speaks about";
      } else {
        q.payable_reason = "the notice states no rule for a " + person.circumstance + " payment on " + iso(paid) + " (not stated in this notice)";
      }
      notes.push(q.payable_reason);
      return finish(q);
    }
    if (!rule.stated) {
      q.rule = rule.id;
      q.payable_reason = "not stated in this notice: " + rule.note;
      if (rule.refers_to) q.payable_reason += " The notice refers to " + rule.refers_to + ".";
      notes.push(q.payable_reason);
      addCites(cites, rs, rule);
      return finish(q, rule);
    }
    q.rule = rule.id;
    if (rule.circumstance !== person.circumstance) {
      notes.push("No " + person.circumstance + " rule of this notice applies on " + iso(paid) + ": the ordinary residents' rule '" + rule.id + "' applies.");
    }
    q.payable = true;
    q.payable_reason = "rule '" + rule.id + "' applies";
    addCites(cites, rs, rule);
    if (rule.interpretation) notes.push("Reading of rule '" + rule.id + "': " + rule.interpretation);
    if (rule.note) notes.push(rule.note);
    var money = dues(rs, rule, help, classIndex);
    q.personal_due = money.due;
    q.personal_due_is_upper_bound = money.upper;
    var refunded = person.recognised !== null && person.recognised > paid &&
      rs.refunds.some(function (r) { return r.applies_when === "recognised_after_payment"; });
    if (refunded && q.personal_due) {
      q.personal_due_is_upper_bound = true;
      notes.push("Part of what was paid before recognition is refunded (see the refund above); the net amount is not stated, so the amount due is an upper bound.");
    }
    q.subsidy = money.subsidy;
    q.subsidy_payer = money.payer;
    q.total_premium = money.total;
    q.total_premium_is_minimum = money.minimum;
    if (rule.due === "standard" || rule.due === "personal_contribution" || rule.due === "waived") {
      addCites(cites, rs, cv);
      if (q.total_premium !== null) {
        if (fv.at_least) notes.push("Fiscal subsidy of at least " + fv.amount + " yuan (不低于): the total premium is a minimum.");
        addCites(cites, rs, fv);
      }
    }
    if (rule.due === "standard") {
      help.notes.forEach(function (n) { notes.push(n); });
      help.cited.forEach(function (v) { addCites(cites, rs, v); });
    } else if (rule.due === "personal_contribution") {
      if (person.categories.length) notes.push("This rule charges the full personal contribution; no assistance is applied.");
    } else if (rule.due === "waived") {
      notes.push("The person's contribution is waived (免缴) under this rule; who bears it is not stated.");
    } else if (rule.due === "late_payer_total") {
      addCites(cites, rs, rs.late_payer_total);
      notes.push("Late payment: the person pays the personal contribution and the government subsidy together.");
      if (person.categories.length) notes.push("Assistance does not apply to this late payment under this rule.");
    } else {
      notes.push("The amount due under this rule is not stated in this notice.");
    }
    var s = rule.starts;
    if (s.kind === "variable_wait") {
      var missingYears = person.years_uninsured === null;
      var missingBack = s.repairable && !missingYears && person.years_uninsured >= 2 && person.years_back_paid === null;
      if (missingYears || missingBack) {
        var asked = [];
        if (missingYears) asked.push("years_uninsured");
        if (missingBack) asked.push("years_back_paid");
        throw needsError(person, asked);
      }
    }
    var c = cover(p, found.rule, person, convention);
    q.coverage_end = iso(c.end);
    if (!c.known) {
      notes.push("The start of cover is not stated in this notice.");
      return finish(q, rule);
    }
    if (c.beforePeriod) notes.push("Cover cannot start before the coverage period (" + rs.period.start + ").");
    if (c.beforeBirth) notes.push("Cover cannot start before the person is born (" + iso(person.born) + ").");
    q.coverage_start = iso(c.start);
    q.covered_days = c.covered;
    if (c.covered === 0) notes.push("Cover would start on " + iso(c.start) + ", after the coverage period ends (" + iso(c.end) + "): no cover this year.");
    q.waiting_days = c.waiting;
    addCites(cites, rs, rs.period);
    return finish(q, rule);
  }

  function finish(q, rule) {
    q.rule_words = rule ? rule.words : null;
    q.start_words = rule && rule.stated ? rule.start_words : null;
    return q;
  }

  function findRules(key) {
    for (var i = 0; i < DATA.rules.length; i++) if (DATA.rules[i].key === key) return DATA.rules[i];
    return null;
  }

  // Quote many persons: [{rules: key, person: {...}, convention}] -> answers (for tests and benchmarks).
  function quoteBatch(items) {
    return items.map(function (it) {
      var rs = findRules(it.rules);
      if (!rs) return { error: "rules", message: "unknown rules " + it.rules };
      return quote(rs, it.person, it.convention);
    });
  }

  var api = { quote: quote, quoteBatch: quoteBatch, findRules: findRules, data: DATA, toDay: toDay, iso: iso,
    addMonths: addMonths, lastDay: lastDay,
    addRules: function (extra) {
      extra.forEach(function (rs) {
        DATA.rules = DATA.rules.filter(function (r) { return r.key !== rs.key; }).concat([rs]);
      });
    } };
  window.PolicylibCalculator = api;
})();
