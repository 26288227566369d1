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
