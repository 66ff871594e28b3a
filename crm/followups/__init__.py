"""Follow-ups (回访): the agent's queue, the rules that plan calls and messages, the
set-based planning behind them, what the messages say, and the call scripts."""
