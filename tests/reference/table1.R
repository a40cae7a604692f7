# Reference values for hemstats.stats.cohort.table1.
#
# Run from the repository root:   Rscript tests/reference/table1.R
# Writes tests/reference/table1.studies.csv (a simulated studies table, set.seed below) and
# tests/reference/table1.json (the expected values), read by tests/stats/test_table1.py.
#
# Base R (stats) only, plus jsonlite to write JSON and MASS::ginv (a recommended package) for
# the categorical SMD.  R's tableone package is not installed; its SMD definitions are written
# out below from Yang & Dalton (2012), as tableone::ExtractSmd computes them:
#   continuous   (mean_b - mean_a) / sqrt((sd_a^2 + sd_b^2) / 2)
#   categorical  sqrt(t(d) ginv(S) d), d = level proportions (first level dropped), S = mean of the
#                two multinomial covariance matrices.
# Tests: t.test(var.equal = FALSE) (Welch), oneway.test(var.equal = TRUE) (one-way ANOVA),
# kruskal.test, chisq.test(correct = TRUE), fisher.test; Wilson CI = prop.test(correct = FALSE).

suppressPackageStartupMessages({ library(jsonlite); library(MASS) })
out_dir <- "tests/reference"
RNGversion("4.0.0")
set.seed(4242)

n1 <- 90; n2 <- 30
n <- n1 + n2
studies <- data.frame(
  dataset = rep(c("d1", "d2"), c(n1, n2)),
  study_id = sprintf("S%03d", 1:n),
  patient_id = sprintf("P%03d", 1:n),
  site = sample(c("A", "B", "C"), n, replace = TRUE, prob = c(0.5, 0.3, 0.2)),
  age_years = round(c(rnorm(n1, 55, 18), rnorm(n2, 62, 12)), 1),
  sex = sample(c("F", "M"), n, replace = TRUE),
  kernel = sample(c("soft", "standard", "bone"), n, replace = TRUE, prob = c(0.5, 0.35, 0.15)),
  n_slices = round(exp(rnorm(n, 3.6, 0.6))),
  flag = rbinom(n, 1, c(rep(0.03, n1), rep(0.15, n2)))
)
studies$age_years[c(3, 17, 95)] <- NA
studies$sex[c(8, 40, 41, 110)] <- NA
studies$kernel[c(12)] <- NA
write.csv(studies, file.path(out_dir, "table1.studies.csv"), row.names = FALSE, na = "")

wilson <- function(x, n) as.numeric(suppressWarnings(prop.test(x, n, correct = FALSE))$conf.int)
cont_smd <- function(a, b) (mean(b) - mean(a)) / sqrt((var(a) + var(b)) / 2)
cat_smd <- function(pa, pb) {
  pa <- pa[-1]; pb <- pb[-1]
  cv <- function(p) { m <- -outer(p, p); diag(m) <- p * (1 - p); m }
  d <- pb - pa
  sqrt(as.numeric(t(d) %*% ginv((cv(pa) + cv(pb)) / 2) %*% d))
}

describe <- function(group_col) {
  g <- studies[[group_col]]
  levs <- sort(unique(g))
  res <- list(groupby = group_col, groups = levs, variables = list())
  # continuous: age_years (normal), n_slices (nonnormal)
  for (v in c("age_years", "n_slices")) {
    xs <- lapply(levs, function(l) { x <- studies[[v]][g == l]; x[!is.na(x)] })
    allx <- studies[[v]][!is.na(studies[[v]])]
    stats <- lapply(c(xs, list(allx)), function(x) list(n = length(x), mean = mean(x), sd = sd(x),
      median = median(x), q1 = quantile(x, 0.25, type = 7, names = FALSE), q3 = quantile(x, 0.75, type = 7, names = FALSE)))
    names(stats) <- c(levs, "Overall")
    if (v == "age_years") {
      if (length(levs) == 2) { p <- t.test(xs[[1]], xs[[2]], var.equal = FALSE)$p.value; test <- "Welch t-test" } else {
        df <- data.frame(x = unlist(xs), g = factor(rep(levs, sapply(xs, length))))
        p <- oneway.test(x ~ g, data = df, var.equal = TRUE)$p.value; test <- "One-way ANOVA"
      }
    } else { p <- kruskal.test(xs)$p.value; test <- "Kruskal-Wallis" }
    pairs <- list()
    for (i in seq_along(levs)) for (j in seq_along(levs)) if (i < j)
      pairs[[length(pairs) + 1]] <- list(group_a = levs[i], group_b = levs[j], smd = cont_smd(xs[[i]], xs[[j]]))
    res$variables[[v]] <- list(kind = "continuous", stats = stats, p_value = p, test = test, smd_pairs = pairs,
                               smd = mean(abs(sapply(pairs, function(q) q$smd))))
  }
  # categorical: sex, kernel, flag
  for (v in c("sex", "kernel", "flag")) {
    x <- as.character(studies[[v]])
    ok <- !is.na(x)
    levels_v <- sort(unique(x[ok]))
    tab <- table(factor(g[ok], levels = levs), factor(x[ok], levels = levels_v))
    ch <- suppressWarnings(chisq.test(tab, correct = TRUE))
    small <- min(ch$expected) < 5 || min(rowSums(tab)) < 5
    if (small && all(dim(tab) == 2)) { p <- fisher.test(tab)$p.value; test <- "Fisher's exact" } else {
      p <- ch$p.value; test <- if (small) "Chi-squared (expected count < 5)" else "Chi-squared"
    }
    props <- lapply(levs, function(l) as.numeric(tab[l, ]) / sum(tab[l, ]))
    pairs <- list()
    for (i in seq_along(levs)) for (j in seq_along(levs)) if (i < j)
      pairs[[length(pairs) + 1]] <- list(group_a = levs[i], group_b = levs[j], smd = cat_smd(props[[i]], props[[j]]))
    cells <- list()
    for (l in c(levs, "Overall")) {
      xl <- if (l == "Overall") x else x[g == l]
      nn <- sum(!is.na(xl))
      for (lv in levels_v) {
        k <- sum(xl == lv, na.rm = TRUE); lim <- wilson(k, nn)
        cells[[length(cells) + 1]] <- list(group = l, level = lv, count = k, n = nn, missing = sum(is.na(xl)),
                                           estimate = k / nn, ci_low = lim[1], ci_high = lim[2])
      }
    }
    res$variables[[v]] <- list(kind = "categorical", cells = cells, p_value = p, test = test, smd_pairs = pairs,
                               smd = mean(sapply(pairs, function(q) q$smd)))
  }
  res
}

# Student's t (R tableone's oneway.test(var.equal = TRUE) for two groups), hemstats' t_test = "student"
age <- split(studies$age_years, studies$dataset)
student <- t.test(age$d1, age$d2, var.equal = TRUE)
out <- list(generated_by = "Rscript tests/reference/table1.R", r_version = R.version.string,
            by_dataset = describe("dataset"), by_site = describe("site"),
            student_age_by_dataset = list(p_value = student$p.value, statistic = unname(student$statistic)))
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, na = "null", pretty = TRUE), file.path(out_dir, "table1.json"))
cat("wrote", file.path(out_dir, "table1.json"), "\n")
