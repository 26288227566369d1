"""The bench's cost table: arithmetic over made-up answer costs (the figures themselves come from `rag bench`)."""
from rag.apps.bench import cost_summary, cost_table


def _cost(total: float, prompt_tokens: int, prompt_s: float, purposes: dict) -> dict:
    return {"first_sentence_s": total, "total_s": total, "retrieval_s": 0.1, "calls": sum(n for n, _ in
            purposes.values()), "prompt_tokens": prompt_tokens, "cached_tokens": 300, "generated": 40,
            "prompt_s": prompt_s, "generate_s": 2.0, "purposes": purposes, "refused": False}


def test_costs_are_summed_by_purpose_and_rates_are_tokens_over_seconds():
    costs = [_cost(10.0, 500, 8.0, {"answer": (1, 9.0), "re-reading": (1, 1.0)}),
             _cost(4.0, 100, 2.0, {"answer": (1, 4.0)})]
    summary = cost_summary(costs)
    assert summary["by_purpose"] == {"answer": {"calls": 1.0, "seconds": 6.5}, "re-reading": {"calls": 0.5,
                                                                                            "seconds": 0.5}}
    assert summary["prompt_tokens_per_s"] == 60.0 and summary["generated_tokens_per_s"] == 20.0
    assert summary["total_s_p95"] == 10.0 and summary["calls_p50"] == 1.0
    table = cost_table(costs)
    assert "| 1 | 10.0 | 10.0 | 0.1 | 2 | 500 | 300 | 40 | 8.0 | 2.0 | answer 1, re-reading 1 |" in table
    assert "- re-reading: 0.50 calls, 0.5 s per answer" in table and "reads 60 prompt tokens/s" in table


def test_a_concurrency_row_counts_answers_per_minute_over_the_wall_clock_and_cpu_per_answer():
    from rag.apps.bench import concurrency_line, concurrency_row
    row = concurrency_row(1, 2, [(2.0, 5.0), (6.0, 10.0), (3.0, 4.0), (7.0, 9.0)], wall_s=20.0, cpu_s=36.0,
                          rss_mb=2048.0)
    assert row["answers_per_min"] == 12.0 and row["cpu_s_per_answer"] == 9.0
    assert row["first_p50_s"] == 6.0 and row["total_p95_s"] == 10.0 and row["total_p50_s"] == 9.0
    assert concurrency_line(row).startswith("[concurrency] 1 slot(s), 2 at once: 12.0 answers/min, first sentence "
                                            "p50 6.0 s p95 7.0 s, whole answer p50 9.0 s p95 10.0 s, 9.0 CPU s/answer")
