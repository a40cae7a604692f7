# Reference values for hemstats.stats.agreement (tests/stats/test_agreement.py).
#
#   Rscript tests/reference/agreement.R            # from the repository root
#
# Writes tests/reference/agreement.json.  Packages: psych (cohen.kappa, ICC), epiR (epi.kappa),
# jsonlite; base R for the rest.  irr and irrCAC are not packaged for Debian (no r-cran-irr,
# r-cran-irrcac), so Fleiss' kappa with the Fleiss-Nee-Landis SE (irr::kappam.fleiss,
# detail = TRUE), Gwet's variance of Fleiss' kappa and AC1 (irrCAC::fleiss.kappa.raw,
# irrCAC::gwet.ac1.raw) and Krippendorff's alpha (irr::kripp.alpha) are written out below from
# their published formulas, as the packages state them, by table / coincidence-matrix code
# independent of the Python (which works on per-unit sums and resample weights).
# When ../shared/data/cq500/reads.csv exists (the real CQ500 three-reader reads), the per-finding
# Fleiss kappa and pairwise Cohen kappas are added under "cq500".
suppressPackageStartupMessages({
  library(psych)
  library(epiR)
  library(jsonlite)
})

out <- list(
  generated_by = "tests/reference/agreement.R",
  r_version = R.version.string,
  psych_version = as.character(packageVersion("psych")),
  epiR_version = as.character(packageVersion("epiR"))
)

# ---- formulas ---------------------------------------------------------------------------------
# irr::kappam.fleiss(ratings, exact = FALSE, detail = TRUE): estimate and SE (under kappa = 0)
fleiss_irr <- function(ratings) {
  ratings <- as.matrix(na.omit(ratings))
  ns <- nrow(ratings); nr <- ncol(ratings)
  lev <- levels(as.factor(ratings))
  ttab <- t(apply(ratings, 1, function(r) as.numeric(table(factor(r, levels = lev)))))
  agreeP <- sum((rowSums(ttab^2) - nr) / (nr * (nr - 1)) / ns)
  chanceP <- sum(colSums(ttab)^2) / (ns * nr)^2
  value <- (agreeP - chanceP) / (1 - chanceP)
  pj <- colSums(ttab) / (ns * nr); qj <- 1 - pj
  varkappa <- (2 / (sum(pj * qj)^2 * (ns * nr * (nr - 1)))) * (sum(pj * qj)^2 - sum(pj * qj * (qj - pj)))
  list(kappa = value, se_null = sqrt(varkappa), n = ns)
}

# irrCAC::fleiss.kappa.raw / gwet.ac1.raw (unweighted, complete data, f = 0): estimate, SE, CI
gwet_raw <- function(ratings, type = c("fleiss", "ac1"), levels = c(0, 1), conflev = 0.95) {
  type <- match.arg(type)
  ratings <- as.matrix(na.omit(ratings))
  n <- nrow(ratings); q <- length(levels)
  agree.mat <- t(apply(ratings, 1, function(r) sapply(levels, function(l) sum(r == l))))
  ri.vec <- rowSums(agree.mat)
  sum.q <- rowSums(agree.mat * (agree.mat - 1))
  pa <- mean(sum.q / (ri.vec * (ri.vec - 1)))
  pi.vec <- colMeans(agree.mat / ri.vec)
  if (type == "fleiss") {
    pe <- sum(pi.vec^2)
    pe.ivec <- (agree.mat %*% pi.vec) / ri.vec
  } else {
    pe <- sum(pi.vec * (1 - pi.vec)) / (q - 1)
    pe.ivec <- (agree.mat %*% (1 - pi.vec)) / (ri.vec * (q - 1))
  }
  coef <- (pa - pe) / (1 - pe)
  pa.ivec <- sum.q / (ri.vec * (ri.vec - 1))
  k.ivec <- (pa.ivec - pe) / (1 - pe)
  k.ivec.x <- k.ivec - 2 * (1 - coef) * (pe.ivec - pe) / (1 - pe)
  var <- sum((k.ivec.x - coef)^2) / (n * (n - 1))
  se <- sqrt(var)
  tq <- qt(1 - (1 - conflev) / 2, n - 1)
  list(estimate = coef, se = se, ci_low = max(-1, coef - tq * se), ci_high = min(1, coef + tq * se), n = n)
}

# Krippendorff's alpha, nominal, from the coincidence matrix (Krippendorff 2011), as irr::kripp.alpha:
# ratings is units x raters with NA for a missing rating
kripp_nominal <- function(ratings, levels = c(0, 1)) {
  q <- length(levels)
  o <- matrix(0, q, q)
  for (u in seq_len(nrow(ratings))) {
    v <- ratings[u, ]; v <- v[!is.na(v)]
    mu <- length(v)
    if (mu < 2) next
    for (i in seq_along(v)) for (j in seq_along(v)) if (i != j) {
      a <- match(v[i], levels); b <- match(v[j], levels)
      o[a, b] <- o[a, b] + 1 / (mu - 1)
    }
  }
  nc <- rowSums(o); n <- sum(nc)
  do <- sum(o) - sum(diag(o))
  de <- (n^2 - sum(nc^2)) / (n - 1)
  list(alpha = 1 - do / de, n_units = sum(rowSums(!is.na(ratings)) >= 2))
}

cohen_psych <- function(a, b, levels = NULL, w = NULL) {
  ck <- suppressWarnings(psych::cohen.kappa(cbind(a, b), w = w, levels = levels))
  list(kappa = ck$kappa, se = sqrt(ck$var.kappa), ci_low = ck$confid[1, 1], ci_high = ck$confid[1, 3],
       weighted_kappa = ck$weighted.kappa, weighted_se = sqrt(ck$var.weighted),
       weighted_ci_low = ck$confid[2, 1], weighted_ci_high = ck$confid[2, 3], n = ck$n.obs)
}

# Standard FCE (1969) variance of weighted kappa (agreement weights w), from the paper's formula
fce_weighted <- function(a, b, levels, w) {
  tab <- table(factor(a, levels = levels), factor(b, levels = levels))
  p <- tab / sum(tab); r <- rowSums(p); cc <- colSums(p)
  po <- sum(w * p); pe <- sum(w * outer(r, cc))
  k <- (po - pe) / (1 - pe)
  wi <- as.vector(w %*% cc); wj <- as.vector(r %*% w)
  inner <- w * (1 - pe) - outer(wi, wj, "+") * (1 - po)
  v <- (sum(p * inner^2) - (po * pe - 2 * pe + po)^2) / (sum(tab) * (1 - pe)^4)
  list(kappa = k, se = sqrt(v))
}

# ---- 1. toy: three raters, binary, 80 studies, a few missing ratings -----------------------------
set.seed(20261122)
n <- 80
truth <- rbinom(n, 1, 0.3)
rate <- function(t, sens, spec) ifelse(t == 1, rbinom(length(t), 1, sens), rbinom(length(t), 1, 1 - spec))
toy <- cbind(R1 = rate(truth, 0.85, 0.9), R2 = rate(truth, 0.8, 0.95), R3 = rate(truth, 0.9, 0.85))
toy_missing <- toy
toy_missing[c(3, 17, 42), "R3"] <- NA
toy_missing[c(5, 60), "R2"] <- NA
toy_missing[c(70), "R1"] <- NA
toy_missing[c(71), c("R1", "R2")] <- NA   # a study with one rating only
out$toy <- list(
  ratings = lapply(as.data.frame(toy_missing), function(x) x),  # NA -> null in JSON
  consensus = as.integer(rowSums(toy) >= 2)
)
pairs <- list(c("R1", "R2"), c("R1", "R3"), c("R2", "R3"))
out$toy$cohen <- lapply(pairs, function(p) {
  d <- na.omit(toy_missing[, p])
  c(list(raters = paste(p, collapse = "|")), cohen_psych(d[, 1], d[, 2], levels = c(0, 1)))
})
complete <- toy_missing[complete.cases(toy_missing), ]
out$toy$fleiss_irr <- fleiss_irr(toy_missing)
out$toy$fleiss_gwet <- gwet_raw(toy_missing, "fleiss")
out$toy$ac1 <- gwet_raw(toy_missing, "ac1")
out$toy$ac1_pairs <- lapply(pairs, function(p) c(list(raters = paste(p, collapse = "|")), gwet_raw(toy_missing[, p], "ac1")))
out$toy$alpha <- kripp_nominal(toy_missing)
out$toy$pabak <- lapply(pairs, function(p) {
  d <- na.omit(toy_missing[, p])
  tab <- table(factor(d[, 1], levels = c(1, 0)), factor(d[, 2], levels = c(1, 0)))
  e <- epiR::epi.kappa(tab, method = "fleiss", conf.level = 0.95)
  list(raters = paste(p, collapse = "|"), estimate = e$pabak$est, ci_low = e$pabak$lower, ci_high = e$pabak$upper,
       kappa = e$kappa$est)
})
# each reader against the consensus (majority of the complete reads): Wilson = prop.test(correct = FALSE)
out$toy$vs_consensus <- lapply(c("R1", "R2", "R3"), function(r) {
  x <- toy_missing[, r]; ref <- out$toy$consensus; ok <- !is.na(x)
  tp <- sum(x[ok] == 1 & ref[ok] == 1); pos <- sum(ref[ok] == 1)
  tn <- sum(x[ok] == 0 & ref[ok] == 0); neg <- sum(ref[ok] == 0)
  se <- prop.test(tp, pos, correct = FALSE)$conf.int; sp <- prop.test(tn, neg, correct = FALSE)$conf.int
  ck <- cohen_psych(x[ok], ref[ok], levels = c(0, 1))
  list(raters = paste0(r, "|consensus"), sensitivity = tp / pos, sens_low = se[1], sens_high = se[2],
       specificity = tn / neg, spec_low = sp[1], spec_high = sp[2], kappa = ck$kappa, kappa_se = ck$se)
})

# ---- 2. ordinal: two raters, four categories, weighted kappa -------------------------------------
set.seed(7)
t4 <- sample(0:3, 120, replace = TRUE, prob = c(0.4, 0.3, 0.2, 0.1))
jit <- function(t) pmin(3, pmax(0, t + sample(c(-1, 0, 0, 0, 1), length(t), replace = TRUE)))
oa <- jit(t4); ob <- jit(t4)
lin <- 1 - abs(outer(0:3, 0:3, "-")) / 3
quad <- 1 - (outer(0:3, 0:3, "-"))^2 / 9
out$ordinal <- list(
  a = oa, b = ob,
  unweighted = cohen_psych(oa, ob, levels = 0:3),
  linear_psych = cohen_psych(oa, ob, levels = 0:3, w = lin),
  quadratic_psych = cohen_psych(oa, ob, levels = 0:3),  # psych's default weights are quadratic
  linear_fce = fce_weighted(oa, ob, 0:3, lin),
  quadratic_fce = fce_weighted(oa, ob, 0:3, quad)
)

# ---- 3. ICC on continuous ratings (psych::ICC, Shrout & Fleiss) ----------------------------------
set.seed(11)
vol <- rgamma(30, shape = 2, scale = 10)
icc_data <- cbind(A = vol + rnorm(30, 0, 2), B = vol * 1.05 + rnorm(30, 0, 2), C = vol + 1 + rnorm(30, 0, 3))
ic <- psych::ICC(icc_data, lmer = FALSE)$results
out$icc <- list(ratings = lapply(as.data.frame(icc_data), function(x) x),
                type = as.character(ic$type), estimate = ic$ICC, ci_low = ic$`lower bound`, ci_high = ic$`upper bound`)

# ---- 4. real CQ500 reads -----------------------------------------------------------------------------
reads_path <- file.path("..", "shared", "data", "cq500", "reads.csv")
if (file.exists(reads_path)) {
  reads <- read.csv(reads_path, check.names = FALSE)
  findings <- c(ICH = "any", EDH = "edh", SDH = "sdh", SAH = "sah", IPH = "iph", IVH = "ivh",
                ChronicBleed = "chronic", Fracture = "fracture", CalvarialFracture = "calvarial_fracture",
                MassEffect = "mass_effect", MidlineShift = "midline_shift")
  out$cq500 <- list(n_studies = nrow(reads), findings = lapply(names(findings), function(src) {
    r <- as.matrix(reads[, paste0(c("R1", "R2", "R3"), ":", src)])
    colnames(r) <- c("R1", "R2", "R3")
    fl <- fleiss_irr(r); gw <- gwet_raw(r, "fleiss"); ac <- gwet_raw(r, "ac1")
    list(source = src, finding = unname(findings[src]),
         fleiss_kappa = fl$kappa, fleiss_se_null = fl$se_null, fleiss_se_gwet = gw$se,
         fleiss_ci_low = gw$ci_low, fleiss_ci_high = gw$ci_high, ac1 = ac$estimate, ac1_se = ac$se,
         alpha = kripp_nominal(r)$alpha,
         cohen = lapply(pairs, function(p) c(list(raters = paste(p, collapse = "|")),
                                             cohen_psych(r[, p[1]], r[, p[2]], levels = c(0, 1)))))
  }))
  out$cq500_source <- "../shared/data/cq500/reads.csv"
}

writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, na = "null", pretty = TRUE),
           file.path("tests", "reference", "agreement.json"))
cat("wrote tests/reference/agreement.json\n")
