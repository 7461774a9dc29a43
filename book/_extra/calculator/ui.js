/* The calculator's form and answer (the evaluator is evaluator.js). The inputs live in the page's address
 * (query string, or the part after #), so a link reproduces a person. Every text from the rule files is
 * set with textContent; no markup is ever built from data. */
(function () {
  "use strict";

  var calc = window.PolicylibCalculator;
  var root = document.getElementById("pl-calc");
  if (!calc || !root) return;
  var data = calc.data;
  var DATES = ["paid", "born", "lapsed", "discharged", "released", "recognised"];
  var FACTS = ["student", "rural_hukou", "parent_insured", "years_uninsured", "years_back_paid",
    "disability_grade", "employee_months"];
  var BOOL = { student: true, rural_hukou: true, parent_insured: true };
  var PAYERS = {
    medical_assistance_fund: "medical assistance fund (医疗救助基金)",
    medical_assistance_or_finance: "medical assistance fund or public finance (医疗救助基金或财政资金)",
    government_shared: "governments, shared (各级财政分担)",
    county_finance: "county finance (县级财政)",
    department_funds: "the department's own funds (部门资金)",
    not_stated: "a payer not stated in this notice"
  };

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function categoryOf(id) {
    for (var i = 0; i < data.categories.length; i++) if (data.categories[i].id === id) return data.categories[i];
    return null;
  }

  // --- plain words: the evaluator's texts name rules, windows, categories and classes by id; readers see names

  function label(rs, id) {
    var c = categoryOf(id);
    if (c) return c.name_zh;
    var found = rs.windows.concat(rs.classes).filter(function (x) { return x.id === id; })[0];
    if (found) return found.name_zh;
    if (data.circumstances[id]) return data.circumstances[id];
    if (rs.start_rules.some(function (r) { return r.id === id; })) return "this rule";
    return null;
  }
  function withoutIds(rs, text) {
    return String(text)
      .replace(/Reading of rule '[^']*': /g, "Reading encoded: ")
      .replace(/the ordinary residents' rule '[^']*' applies/g, "the ordinary residents' rule applies")
      .replace(/ \(([a-z][a-z0-9_]*)\)/g, function (all, id) { return label(rs, id) ? "" : all; })
      .replace(/'([a-z][a-z0-9_]*)'/g, function (all, id) { return label(rs, id) || all; })
      .replace(/\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b/g, function (id) { return label(rs, id) || id.replace(/_/g, " "); })
      .replace(/\bfor an? ([a-z]+) payment\b/g, function (all, id) {
        return data.circumstances[id] ? "for a payment by " + data.circumstances[id] : all;
      });
  }
  function ruleWords(rs, q) {
    var words = (q.rule_words || []).join(" and ") || "any payment";
    rs.windows.forEach(function (w) { words = words.split(" (" + w.id + ")").join(""); });
    var start = q.start_words ? "; cover from " + q.start_words : "";
    return withoutIds(rs, words + start);
  }
  function reasonWords(rs, q) {
    if (/^rule '[^']*' applies$/.test(q.payable_reason)) return "A rule of the notice applies: see the rule applied and its clause below.";
    return withoutIds(rs, q.payable_reason);
  }

  // --- state from and to the address ------------------------------------------------------------------

  function readAddress() {
    var text = window.location.search.replace(/^\?/, "");
    if (!text && window.location.hash.length > 1) text = window.location.hash.slice(1);
    var params = new URLSearchParams(text), state = { categories: params.getAll("category") };
    params.forEach(function (value, key) { if (key !== "category") state[key] = value; });
    return state;
  }
  function writeAddress(state) {
    var params = new URLSearchParams();
    params.set("rules", state.rules);
    params.set("event", state.event || "regular");
    state.categories.forEach(function (c) { params.append("category", c); });
    DATES.concat(FACTS).forEach(function (n) { if (state[n]) params.set(n, state[n]); });
    if (state.day_count && state.day_count !== "civil-code") params.set("day_count", state.day_count);
    try {
      window.history.replaceState(null, "", window.location.pathname + "?" + params.toString());
    } catch (e) {
      window.location.hash = params.toString();  // some browsers refuse replaceState on file://
    }
  }

  // --- the form -----------------------------------------------------------------------------------------

  var form = el("form", { "class": "pl-calc-form", autocomplete: "off" });
  form.addEventListener("submit", function (e) { e.preventDefault(); });
  var output = el("section", { "class": "pl-calc-answer", "aria-live": "polite", id: "pl-calc-answer" });
  var summary = el("div", { "class": "pl-calc-summary", "aria-hidden": "true" });
  root.appendChild(form);
  root.appendChild(output);
  root.appendChild(summary);
  summary.addEventListener("click", function () { output.scrollIntoView(); });

  function field(label, input, hint, name) {
    var wrap = el("div", { "class": "pl-calc-field", "data-field": name || "" });
    var id = "pl-calc-" + (name || Math.random().toString(36).slice(2));
    input.id = id;
    var lab = el("label", { "for": id }, label);
    wrap.appendChild(lab);
    wrap.appendChild(input);
    if (hint) wrap.appendChild(el("small", null, hint));
    return wrap;
  }
  function select(name, options, value) {
    var s = el("select", { name: name });
    options.forEach(function (o) {
      var opt = el("option", { value: o[0] }, o[1]);
      if (o[0] === value) opt.selected = true;
      s.appendChild(opt);
    });
    return s;
  }

  var state = readAddress();
  if (!calc.findRules(state.rules || "") && data.rules.length) state.rules = data.rules[0].key;

  function render() {
    var rs = calc.findRules(state.rules);
    form.textContent = "";
    if (!rs) { output.textContent = "No rule files."; return; }
    var top = el("fieldset", { "class": "pl-calc-group" });
    top.appendChild(el("legend", null, "Notice and person (通知与参保人)"));
    top.appendChild(field("Jurisdiction and coverage year (地区、年度)", select("rules", data.rules.map(function (r) {
      return [r.key, r.name_en + " " + r.name_zh + " " + r.year];
    }), rs.key), null, "rules"));
    var circs = rs.circumstances.slice();
    if (state.event && circs.indexOf(state.event) < 0 && data.circumstances[state.event]) circs.push(state.event);
    if (circs.indexOf(state.event) < 0) state.event = "regular";
    top.appendChild(field("Circumstance (参保情形)", select("event", circs.map(function (c) {
      return [c, data.circumstances[c]];
    }), state.event), null, "event"));
    var event = data.event_for[state.event];
    if (event) top.appendChild(dateField(event));
    top.appendChild(dateField("paid"));
    form.appendChild(top);

    var cats = el("fieldset", { "class": "pl-calc-group pl-calc-cats" });
    cats.appendChild(el("legend", null, "Assisted groups and status (资助对象与身份)"));
    var named = rs.categories;
    named.forEach(function (id) { cats.appendChild(categoryBox(id)); });
    var rest = data.categories.filter(function (c) { return named.indexOf(c.id) < 0; });
    if (rest.length) {
      var more = el("details", { "class": "pl-calc-more" });
      if (rest.some(function (c) { return state.categories.indexOf(c.id) >= 0; })) more.open = true;
      more.appendChild(el("summary", null, "Categories this notice does not name (" + rest.length + ")"));
      rest.forEach(function (c) { more.appendChild(categoryBox(c.id)); });
      cats.appendChild(more);
    }
    var recognition = rs.timing.length || rs.refunds.length || rs.start_rules.some(function (r) {
      return r.when.some(function (c) { return c.kind === "recognised_after_window"; });
    });
    if (recognition && state.categories.length) cats.appendChild(dateField("recognised"));
    form.appendChild(cats);

    var inputs = (rs.inputs_for[state.event] || rs.inputs).slice();
    DATES.concat(FACTS).forEach(function (n) {  // a value carried in by a link stays visible and editable
      if (state[n] && n !== "paid" && n !== "recognised" && n !== event && inputs.indexOf(n) < 0) inputs.push(n);
    });
    if (inputs.length) {
      var facts = el("fieldset", { "class": "pl-calc-group" });
      facts.appendChild(el("legend", null, "What this notice's rules ask (通知规则涉及的情况)"));
      inputs.forEach(function (n) {
        if (DATES.indexOf(n) >= 0) facts.appendChild(dateField(n));
        else if (BOOL[n]) {
          facts.appendChild(field(data.input_words[n], select(n, [["", "— not given"], ["yes", "yes (是)"], ["no", "no (否)"]],
            state[n] || ""), null, n));
        } else {
          var num = el("input", { type: "number", name: n, min: "0", max: n === "disability_grade" ? "4" : (n === "employee_months" ? "12" : "150"), inputmode: "numeric" });
          num.value = state[n] || "";
          facts.appendChild(field(data.input_words[n], num, null, n));
        }
      });
      form.appendChild(facts);
    }
    var counting = el("fieldset", { "class": "pl-calc-group" });
    counting.appendChild(el("legend", null, "Day counting (期间计算)"));
    counting.appendChild(field("Convention", select("day_count", [["civil-code", "Civil Code: the event day is not counted (民法典第二百零一条)"],
      ["inclusive", "Inclusive: the event day is day 1"]], state.day_count || "civil-code"), null, "day_count"));
    form.appendChild(counting);
    answer();
  }

  function dateField(name) {
    var input = el("input", { type: "date", name: name });
    input.value = state[name] || "";
    return field(data.input_words[name], input, null, name);
  }

  function categoryBox(id) {
    var c = categoryOf(id);
    var wrap = el("label", { "class": "pl-calc-cat" });
    var box = el("input", { type: "checkbox", name: "category", value: id });
    box.checked = state.categories.indexOf(id) >= 0;
    wrap.appendChild(box);
    wrap.appendChild(el("span", { "lang": "zh" }, c ? c.name_zh : id));
    if (c) wrap.appendChild(el("small", null, c.gloss));
    return wrap;
  }

  function readForm(target) {
    var name = target.name;
    if (name === "category") {
      state.categories = Array.prototype.filter.call(form.querySelectorAll("input[name=category]"), function (b) {
        return b.checked;
      }).map(function (b) { return b.value; });
    } else {
      state[name] = target.value;
    }
    return name === "rules" || name === "event" || name === "category";  // these change the form itself
  }

  function onChange(e) {
    if (!e.target || !e.target.name) return;
    var rebuild = readForm(e.target);
    writeAddress(state);
    if (rebuild && e.type === "change") {
      var focus = e.target.name;
      render();
      var again = form.querySelector("[name=" + focus + "]");
      if (again && focus !== "category") again.focus();
    } else {
      answer();
    }
  }
  form.addEventListener("input", onChange);
  form.addEventListener("change", onChange);

  // --- the answer -----------------------------------------------------------------------------------------

  function person(rs) {
    var p = { circumstance: state.event || "regular", categories: state.categories.slice() };
    DATES.forEach(function (n) { p[n] = state[n] || null; });
    FACTS.forEach(function (n) {
      var v = state[n];
      p[n] = v === undefined || v === "" ? null : (BOOL[n] ? v === "yes" : Number(v));
    });
    return p;
  }

  function money(value, prefix) {
    return value === null ? null : (prefix || "") + value + " yuan";
  }
  function notStated(parent, words) {
    var span = el("span", { "class": "pl-badge" }, "not stated");
    parent.appendChild(span);
    if (words) parent.appendChild(document.createTextNode(" " + words));
  }
  function row(dl, label, value, cls) {
    var dt = el("dt", null, label), dd = el("dd", cls ? { "class": cls } : null);
    if (value === null || value === undefined) notStated(dd);
    else if (value instanceof Node) dd.appendChild(value);
    else dd.textContent = String(value);
    dl.appendChild(dt);
    dl.appendChild(dd);
    return dd;
  }
  function clauseLink(rs, c) {
    var source = c.source || rs.source;
    var url = rs.clause_urls[source + "\n" + c.clause];
    return el("a", { href: url || "sources.html", title: source + " " + c.clause }, "§" + c.clause);
  }
  function payerWords(payer) {
    if (!payer) return "a payer not stated in this notice";
    var cut = payer.indexOf(" (");
    var kind = cut < 0 ? payer : payer.slice(0, cut);
    var name = cut < 0 ? "" : payer.slice(cut + 2, -1);
    var gloss = PAYERS[kind] || kind;
    return name ? gloss + ": " + name : gloss;
  }

  function answer() {
    var rs = calc.findRules(state.rules);
    var q = calc.quote(rs, person(rs), state.day_count || "civil-code");
    output.textContent = "";
    summary.textContent = "";
    Array.prototype.forEach.call(form.querySelectorAll(".pl-calc-error"), function (n) { n.classList.remove("pl-calc-error"); });
    output.appendChild(el("h2", null, "Answer (计算结果)"));
    if (q.error) {
      var name = q.error.replace(/^--/, "").replace(/-/g, "_");
      var box = form.querySelector("[data-field=" + (name === "category" ? "rules" : name) + "]");
      if (box) box.classList.add("pl-calc-error");
      var p = el("p", { "class": "pl-calc-status pl-calc-input" });
      p.appendChild(el("strong", null, "Check the inputs: "));
      p.appendChild(document.createTextNode(humanError(rs, q)));
      output.appendChild(p);
      output.setAttribute("data-state", "error");
      summary.textContent = "Check the inputs ↓";
      return;
    }
    output.setAttribute("data-state", q.payable === true ? "payable" : q.payable === false ? "refused" : "not-stated");
    var status = el("p", { "class": "pl-calc-status" });
    if (q.payable === true) status.appendChild(el("strong", null, "Can enrol and pay (可以参保缴费). "));
    else if (q.payable === false) status.appendChild(el("strong", null, "Cannot enrol under this notice (不能参保). "));
    else { notStated(status); status.appendChild(document.createTextNode(" ")); }
    status.setAttribute("data-reason", q.payable_reason);
    status.appendChild(document.createTextNode(reasonWords(rs, q)));
    output.appendChild(status);

    var dl = el("dl", { "class": "pl-calc-figures" });
    var due = q.personal_due === null ? null : money(q.personal_due, q.personal_due_is_upper_bound ? "at most " : "");
    row(dl, "The person pays (个人应缴)", q.payable === false ? "—" : due, "pl-calc-due");
    row(dl, "Exact or bound (是否确数)", q.personal_due === null ? "—" :
      q.personal_due_is_upper_bound ? "an upper bound: the help may be higher (不低于)" : "exact");
    var help;
    if (q.subsidy === null) help = null;
    else if (q.subsidy === 0) help = "none (0 yuan)";
    else help = q.subsidy + " yuan, paid by " + payerWords(q.subsidy_payer);
    row(dl, "Assistance and who pays it (资助参保)", q.payable === false ? "—" : help, "pl-calc-help");
    row(dl, "Personal contribution (个人缴费标准)", money(q.personal_contribution));
    row(dl, "Fiscal subsidy (财政补助)", money(q.fiscal_subsidy, rs.fiscal_subsidy.at_least ? "at least " : ""));
    row(dl, "Total premium (筹资总额)", q.payable === false ? "—" : money(q.total_premium, q.total_premium_is_minimum ? "at least " : ""), "pl-calc-total");
    if (q.resident_class) {
      var cls = rs.classes.filter(function (c) { return c.id === q.resident_class; })[0];
      row(dl, "Resident class (居民类别)", cls ? cls.name_zh : q.resident_class);
    }
    var cover;
    if (q.coverage_start && q.coverage_end && q.coverage_start > q.coverage_end) {
      cover = "none this coverage year: cover would start on " + q.coverage_start +
        ", after the coverage period ends on " + q.coverage_end;
    } else if (q.coverage_start) cover = q.coverage_start + " to " + q.coverage_end + " (" + q.covered_days + " days)";
    else if (q.rule && q.coverage_end) cover = null;
    else cover = q.payable === false ? "—" : null;
    row(dl, "Cover, first and last day (待遇享受期)", cover, "pl-calc-cover");
    row(dl, "Waiting days (等待期)", q.waiting_days === null ? (q.rule ? null : "—") : q.waiting_days === 0 ? "none (0)" : q.waiting_days + " days", "pl-calc-wait");
    var ruleNode = null;
    if (q.rule) {
      ruleNode = el("span", { "data-rule": q.rule });
      ruleNode.appendChild(document.createTextNode(ruleWords(rs, q)));
      var applied = rs.start_rules.filter(function (r) { return r.id === q.rule; })[0];
      (applied ? applied.cite : []).forEach(function (c) {
        var quoteLine = el("span", { "class": "pl-calc-rule-quote" });
        quoteLine.appendChild(clauseLink(rs, { source: c.source || rs.source, clause: c.clause }));
        quoteLine.appendChild(document.createTextNode(" "));
        quoteLine.appendChild(el("q", { lang: "zh" }, c.quote));
        ruleNode.appendChild(quoteLine);
      });
      if (applied && !applied.stated && applied.refers_to) {
        ruleNode.appendChild(el("span", { "class": "pl-calc-rule-quote" }, "The notice refers to " + applied.refers_to + "."));
      }
    }
    row(dl, "Rule applied (适用规则)", ruleNode || "no rule of this notice", "pl-calc-rule");
    output.appendChild(dl);
    summary.textContent = (q.payable === true ? "Pays " + (due || "not stated") + " · cover " +
      (q.coverage_start ? "from " + q.coverage_start : "start not stated") :
      q.payable === false ? "Cannot enrol" : "Not stated") + " ↓";

    if (q.citations.length) {
      output.appendChild(el("h3", null, "Clauses (依据条款)"));
      var list = el("ul", { "class": "pl-calc-cites" });
      var seen = {};
      q.citations.forEach(function (c) {
        var key = c.source + "\n" + c.clause + "\n" + c.excerpt;
        if (seen[key]) return;
        seen[key] = true;
        var li = el("li");
        li.appendChild(clauseLink(rs, c));
        li.appendChild(document.createTextNode(" " + c.document + " "));
        li.appendChild(el("q", { lang: "zh" }, c.excerpt));
        list.appendChild(li);
      });
      output.appendChild(list);
    }
    var notes = q.notes.filter(function (n, i, a) { return a.indexOf(n) === i; });
    if (notes.length) {
      var det = el("details", { "class": "pl-calc-notes" });
      det.appendChild(el("summary", null, "Explanation (说明)"));
      var ul = el("ul");
      notes.forEach(function (n) { ul.appendChild(el("li", null, withoutIds(rs, n))); });
      det.appendChild(ul);
      output.appendChild(det);
    }
    var profile = el("p", { "class": "pl-calc-profile" });
    profile.appendChild(document.createTextNode("The whole notice: "));
    profile.appendChild(el("a", { href: "profiles/" + rs.key + ".html" }, rs.name_en + " " + rs.year + " profile"));
    output.appendChild(profile);
  }

  function humanError(rs, q) {
    var name = q.error.replace(/^--/, "").replace(/-/g, "_");
    var words = data.input_words[name];
    var message = q.message.replace(/^[^:]*: /, "").replace(/\ban? ([a-z][a-z0-9_]*) quote needs the [a-z_]+ date/,
      function (all, id) { return "needed for " + (data.circumstances[id] || "this circumstance"); });
    return (words ? words + ": " : "") + withoutIds(rs, message);
  }

  writeAddress(state);
  render();
  window.PolicylibCalculatorForm = { state: state, render: render, answer: answer };
})();
