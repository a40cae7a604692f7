# Reference values for hemstats.stats.prevalence and hemstats.stats._proportion.
#
# Run from the repository root:   Rscript tests/reference/prevalence.R
# Writes (all read by tests/stats/test_prevalence.py):
#   tests/reference/prevalence.labels.csv    simulated canonical labels table (set.seed below)
#   tests/reference/prevalence.studies.csv   its studies table (patient_id; some patients have 2 studies)
#   tests/reference/prevalence.lesions.csv   a lesions table (zeros and missing volumes included)
#   tests/reference/prevalence.json          the expected values
#
# Packages: base R and stats only, plus jsonlite to write JSON.  No binom/PropCIs/DescTools
# package is installed, so the Jeffreys and Agresti-Coull intervals are computed here from
# their closed forms (Brown, Cai & DasGupta 2001), and Newcombe's hybrid score interval
# (Newcombe 1998, method 10) from the Wilson limits that prop.test(correct = FALSE) reports.
# Wilson = prop.test(correct = FALSE)$conf.int; Clopper-Pearson = binom.test()$conf.int.
# Jeffreys follows the Brown-Cai-DasGupta boundary rule (lower = 0 when x = 0, upper = 1
# when x = n), as DescTools::BinomCI(method = "jeffreys") does.

suppressPackageStartupMessages(library(jsonlite))
out_dir <- "tests/reference"
RNGversion("4.0.0")
set.seed(20261122)

# ---- simulated input --------------------------------------------------------------------
findings <- c("any", "edh", "sdh", "sah", "iph", "ivh")
rates <- list(
  alpha = c(edh = 0.04, sdh = 0.20, sah = 0.15, iph = 0.18, ivh = 0.08),
  beta  = c(edh = 0.00, sdh = 0.30, sah = 0.10, iph = 0.25, ivh = 0.12),
  gamma = c(edh = 0.02, sdh = 0.12, sah = 0.20, iph = 0.10, ivh = 0.05)
)
sizes <- c(alpha = 120, beta = 45, gamma = 300)
studies <- list(); labels <- list(); lesions <- list()
for (d in names(sizes)) {
  n <- sizes[[d]]
  sid <- sprintf("%s-S%03d", d, seq_len(n))
  # about one patient in six has two studies
  pat <- sprintf("%s-P%03d", d, seq_len(n))
  again <- sort(sample(2:n, n %/% 6))
  pat[again] <- pat[again - 1]
  studies[[d]] <- data.frame(dataset = d, study_id = sid, patient_id = pat)
  m <- sapply(names(rates[[d]]), function(f) rbinom(n, 1, rates[[d]][[f]]))
  anyv <- as.integer(rowSums(m) > 0)
  vals <- cbind(any = anyv, m)
  for (f in findings) {
    labels[[length(labels) + 1]] <- data.frame(dataset = d, study_id = sid, slice_id = NA, level = "study",
                                              finding = f, rater = "consensus", value = vals[, f])
    # reader R1 flips about 10 % of the consensus labels
    flip <- rbinom(n, 1, 0.1)
    labels[[length(labels) + 1]] <- data.frame(dataset = d, study_id = sid, slice_id = NA, level = "study",
                                              finding = f, rater = "R1", value = abs(vals[, f] - flip))
    if (f != "any") {
      pos <- which(vals[, f] == 1)
      vol <- round(exp(rnorm(length(pos), 2.5, 1)), 4)
      vol[seq_along(vol) %% 7 == 0] <- NA
      zero <- sample(which(vals[, f] == 0), 3)
      lesions[[length(lesions) + 1]] <- data.frame(dataset = d, study_id = c(sid[pos], sid[zero]), finding = f,
                                                  volume_ml = c(vol, rep(0, 3)))
    }
  }
  # slice-level labels for "any" on the first 30 studies, 6 slices each
  for (i in 1:30) {
    sv <- if (anyv[i] == 1) rbinom(6, 1, 0.5) else rep(0L, 6)
    labels[[length(labels) + 1]] <- data.frame(dataset = d, study_id = sid[i], slice_id = sprintf("%s-%d", sid[i], 1:6),
                                              level = "slice", finding = "any", rater = "consensus", value = sv)
  }
}
# a tiny dataset where every study is positive for "any" and none for "edh" (x = n and x = 0)
studies$delta <- data.frame(dataset = "delta", study_id = sprintf("delta-S%d", 1:8), patient_id = sprintf("delta-P%d", 1:8))
for (f in c("any", "edh", "sdh")) {
  labels[[length(labels) + 1]] <- data.frame(dataset = "delta", study_id = sprintf("delta-S%d", 1:8), slice_id = NA,
                                            level = "study", finding = f, rater = "consensus",
                                            value = switch(f, any = rep(1L, 8), edh = rep(0L, 8), sdh = c(1L, 1L, 1L, 0L, 0L, 1L, 0L, 1L)))
}
studies <- do.call(rbind, studies); labels <- do.call(rbind, labels); lesions <- do.call(rbind, lesions)
write.csv(studies, file.path(out_dir, "prevalence.studies.csv"), row.names = FALSE, na = "")
write.csv(labels, file.path(out_dir, "prevalence.labels.csv"), row.names = FALSE, na = "")
write.csv(lesions, file.path(out_dir, "prevalence.lesions.csv"), row.names = FALSE, na = "")

# ---- interval formulas --------------------------------------------------------------------
ci <- function(x, n, method, level = 0.95) {
  a <- 1 - level; z <- qnorm(1 - a / 2)
  if (method == "clopper-pearson") return(as.numeric(binom.test(x, n, conf.level = level)$conf.int))
  if (method == "wilson") return(as.numeric(suppressWarnings(prop.test(x, n, conf.level = level, correct = FALSE))$conf.int))
  if (method == "jeffreys") {
    lo <- if (x == 0) 0 else qbeta(a / 2, x + 0.5, n - x + 0.5)
    hi <- if (x == n) 1 else qbeta(1 - a / 2, x + 0.5, n - x + 0.5)
    return(c(lo, hi))
  }
  if (method == "agresti-coull") {
    nt <- n + z^2; pt <- (x + z^2 / 2) / nt; h <- z * sqrt(pt * (1 - pt) / nt)
    return(c(max(0, pt - h), min(1, pt + h)))
  }
  stop(method)
}
methods <- c("wilson", "clopper-pearson", "jeffreys", "agresti-coull")

# ---- prevalence per dataset x finding, study level, every method, at 95 % and 90 % ------------
cons <- subset(labels, rater == "consensus" & level == "study")
prev <- list()
for (lev in c(0.95, 0.90)) for (m in methods) for (d in unique(cons$dataset)) for (f in findings) {
  v <- cons$value[cons$dataset == d & cons$finding == f]
  if (length(v) == 0) next
  x <- sum(v); n <- length(v); lim <- ci(x, n, m, lev)
  prev[[length(prev) + 1]] <- list(dataset = d, finding = f, method = m, confidence_level = lev,
                                   positives = x, n = n, estimate = x / n, ci_low = lim[1], ci_high = lim[2])
}

# ---- reader R1, study level, Wilson ----------------------------------------------------------
r1 <- subset(labels, rater == "R1")
prev_r1 <- aggregate(value ~ dataset + finding, data = r1, FUN = function(v) c(x = sum(v), n = length(v)))
prev_r1 <- lapply(seq_len(nrow(prev_r1)), function(i) {
  x <- prev_r1$value[i, "x"]; n <- prev_r1$value[i, "n"]; lim <- ci(x, n, "wilson")
  list(dataset = prev_r1$dataset[i], finding = prev_r1$finding[i], positives = x, n = n, ci_low = lim[1], ci_high = lim[2])
})

# ---- patient level: positive if any study is, Clopper-Pearson -------------------------------------
pc <- merge(cons, studies, by = c("dataset", "study_id"))
pp <- aggregate(value ~ dataset + patient_id + finding, data = pc, FUN = max)
prev_patient <- aggregate(value ~ dataset + finding, data = pp, FUN = function(v) c(x = sum(v), n = length(v)))
prev_patient <- lapply(seq_len(nrow(prev_patient)), function(i) {
  x <- prev_patient$value[i, "x"]; n <- prev_patient$value[i, "n"]; lim <- ci(x, n, "clopper-pearson")
  list(dataset = prev_patient$dataset[i], finding = prev_patient$finding[i], positives = x, n = n, ci_low = lim[1], ci_high = lim[2])
})

# ---- slice level, Jeffreys -------------------------------------------------------------------
sl <- subset(labels, level == "slice")
prev_slice <- aggregate(value ~ dataset + finding, data = sl, FUN = function(v) c(x = sum(v), n = length(v)))
prev_slice <- lapply(seq_len(nrow(prev_slice)), function(i) {
  x <- prev_slice$value[i, "x"]; n <- prev_slice$value[i, "n"]; lim <- ci(x, n, "jeffreys")
  list(dataset = prev_slice$dataset[i], finding = prev_slice$finding[i], positives = x, n = n, ci_low = lim[1], ci_high = lim[2])
})

# ---- co-occurrence (table of the two 0/1 columns) and combinations, study level -------------------------
subtypes <- c("edh", "sdh", "sah", "iph", "ivh")
wide <- reshape(cons[, c("dataset", "study_id", "finding", "value")], idvar = c("dataset", "study_id"),
                timevar = "finding", direction = "wide")
names(wide) <- sub("^value\\.", "", names(wide))
cooc <- list(); combos <- list()
for (d in unique(wide$dataset)) {
  w <- wide[wide$dataset == d, ]
  here <- subtypes[subtypes %in% names(w) & sapply(subtypes, function(f) f %in% names(w) && any(!is.na(w[[f]])))]
  for (i in seq_along(here)) for (j in seq_along(here)) if (i < j) {
    a <- here[i]; b <- here[j]
    t <- table(factor(w[[a]], levels = 0:1), factor(w[[b]], levels = 0:1))
    cooc[[length(cooc) + 1]] <- list(dataset = d, finding_a = a, finding_b = b, n = sum(t),
                                     both = t["1", "1"], only_a = t["1", "0"], only_b = t["0", "1"], neither = t["0", "0"])
  }
  comp <- w[complete.cases(w[, here, drop = FALSE]), here, drop = FALSE]
  lab <- apply(comp, 1, function(r) { p <- here[r == 1]; if (length(p)) paste(p, collapse = "+") else "none" })
  tab <- table(lab)
  for (k in names(tab)) combos[[length(combos) + 1]] <- list(dataset = d, findings = paste(here, collapse = "+"),
                                                             combination = k, count = as.integer(tab[[k]]), n = nrow(comp))
}

# ---- comparison across datasets: chisq.test / fisher.test, Holm, Newcombe --------------------------
newcombe <- function(x1, n1, x2, n2, level = 0.95) {
  p1 <- x1 / n1; p2 <- x2 / n2; w1 <- ci(x1, n1, "wilson", level); w2 <- ci(x2, n2, "wilson", level)
  d <- p1 - p2
  c(d, d - sqrt((p1 - w1[1])^2 + (w2[2] - p2)^2), d + sqrt((w1[2] - p1)^2 + (p2 - w2[1])^2))
}
overall <- list(); pairwise <- list()
for (f in findings) {
  groups <- unique(cons$dataset[cons$finding == f])
  tab <- t(sapply(groups, function(d) { v <- cons$value[cons$dataset == d & cons$finding == f]; c(sum(v), length(v) - sum(v)) }))
  if (all(tab[, 1] == 0) || all(tab[, 2] == 0)) { chi_p <- NA; fis_p <- NA; emin <- NA } else {
    ch <- suppressWarnings(chisq.test(tab, correct = TRUE)); chi_p <- ch$p.value; emin <- min(ch$expected)
    fis_p <- fisher.test(tab)$p.value
  }
  overall[[length(overall) + 1]] <- list(finding = f, groups = paste(groups, collapse = ","), chisq_p = chi_p,
                                         fisher_p = fis_p, min_expected = emin)
  for (i in seq_along(groups)) for (j in seq_along(groups)) if (i < j) {
    sub <- tab[c(i, j), ]
    nc <- newcombe(sub[1, 1], sum(sub[1, ]), sub[2, 1], sum(sub[2, ]))
    if (all(sub[, 1] == 0) || all(sub[, 2] == 0)) { chi_p <- NA; fis_p <- NA; emin <- NA } else {
      ch <- suppressWarnings(chisq.test(sub, correct = TRUE)); chi_p <- ch$p.value; emin <- min(ch$expected)
      fis_p <- fisher.test(sub)$p.value
    }
    pairwise[[length(pairwise) + 1]] <- list(finding = f, group_a = groups[i], group_b = groups[j],
                                             estimate = nc[1], ci_low = nc[2], ci_high = nc[3],
                                             chisq_p = chi_p, fisher_p = fis_p, min_expected = emin)
  }
}
# the p value our "auto" rule picks (Fisher when an expected count is below 5), then Holm per family
pick <- function(r) if (is.na(r$min_expected)) NA else if (r$min_expected < 5) r$fisher_p else r$chisq_p
holm <- function(rows) {
  p <- sapply(rows, pick); adj <- rep(NA, length(p)); ok <- !is.na(p)
  adj[ok] <- p.adjust(p[ok], method = "holm")
  for (k in seq_along(rows)) { rows[[k]]$auto_p <- p[k]; rows[[k]]$holm_p <- adj[k] }
  rows
}
overall <- holm(overall); pairwise <- holm(pairwise)

# ---- lesion volumes: zeros and missing excluded ------------------------------------------------
vols <- list()
for (d in unique(lesions$dataset)) for (f in subtypes) {
  v <- lesions$volume_ml[lesions$dataset == d & lesions$finding == f]
  if (length(v) == 0) next
  u <- v[!is.na(v) & v != 0]; q <- quantile(u, c(0.25, 0.5, 0.75), type = 7, names = FALSE)
  vols[[length(vols) + 1]] <- list(dataset = d, finding = f, n = length(u), n_zero = sum(v == 0, na.rm = TRUE),
                                   n_missing = sum(is.na(v)), mean = mean(u), sd = sd(u), median = q[2], q1 = q[1],
                                   q3 = q[3], min = min(u), max = max(u))
}

# ---- exact coverage sum_x dbinom(x, n, p) * [p in CI(x)], 95 % ----------------------------------
coverage <- list()
for (m in methods) for (n in c(30, 100, 500)) for (p in c(0.02, 0.10, 0.40)) {
  cover <- sapply(0:n, function(x) { lim <- ci(x, n, m); lim[1] <= p && p <= lim[2] })
  width <- sapply(0:n, function(x) diff(ci(x, n, m)))
  coverage[[length(coverage) + 1]] <- list(method = m, n = n, prevalence = p,
                                           exact_coverage = sum(dbinom(0:n, n, p) * cover),
                                           mean_width = sum(dbinom(0:n, n, p) * width))
}

# ---- a 3 x 2 Fisher test (R's exact r x c network algorithm) --------------------------------------
fisher_3x2 <- fisher.test(matrix(c(1, 3, 5, 2, 4, 0), ncol = 2))$p.value

# ---- real data: CQ500 reads (when ../shared/data/cq500/reads.csv is beside the repository) -------
# Per reader and for the strict majority of the readers who rated the scan (>= 2 of 3; no
# consensus when the readers present tie), x / n per finding with Wilson and Clopper-Pearson CIs.
cq500 <- NULL
reads_file <- "../shared/data/cq500/reads.csv"
if (file.exists(reads_file)) {
  reads <- read.csv(reads_file, check.names = FALSE)
  fields <- c(ICH = "any", EDH = "edh", SDH = "sdh", SAH = "sah", IPH = "iph", IVH = "ivh")
  cq500 <- list()
  for (fld in names(fields)) {
    m <- as.matrix(reads[, paste0(c("R1", "R2", "R3"), ":", fld)])
    pos <- rowSums(m == 1, na.rm = TRUE); neg <- rowSums(m == 0, na.rm = TRUE)
    cons <- ifelse(pos > neg, 1L, ifelse(neg > pos, 0L, NA_integer_))
    raters <- list(R1 = m[, 1], R2 = m[, 2], R3 = m[, 3], consensus = cons)
    for (r in names(raters)) {
      v <- raters[[r]]; v <- v[!is.na(v)]; x <- sum(v); n <- length(v)
      w <- ci(x, n, "wilson"); cp <- ci(x, n, "clopper-pearson")
      cq500[[length(cq500) + 1]] <- list(rater = r, finding = fields[[fld]], positives = x, n = n,
                                         wilson_low = w[1], wilson_high = w[2], cp_low = cp[1], cp_high = cp[2])
    }
  }
}

out <- list(
  generated_by = "Rscript tests/reference/prevalence.R",
  r_version = R.version.string,
  prevalence = prev, prevalence_r1 = prev_r1, prevalence_patient = prev_patient, prevalence_slice = prev_slice,
  cooccurrence = cooc, combinations = combos, compare_overall = overall, compare_pairwise = pairwise,
  lesion_volumes = vols, coverage = coverage, fisher_3x2 = fisher_3x2, cq500 = cq500
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, na = "null", pretty = TRUE), file.path(out_dir, "prevalence.json"))
cat("wrote", file.path(out_dir, "prevalence.json"), "\n")
