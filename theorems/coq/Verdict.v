(* The theorems of sparsecert's registry (theorems/*.json), as propositions about a pattern: what
   a verdict asserts. A generated certificate file (check-certificate --coq) proves one of these
   for its pattern; docs/trust.md says which, for each verdict. *)
From Sparsecert Require Import Sets Theory.

(* theorems/yun2020.json: the hypotheses of Theorem 1 of Yun et al., "O(n) Connections are
   Expressive Enough" (NeurIPS 2020): patterns over the input tokens only, and Assumption 1. *)
Definition Yun2020 (P : pattern) : Prop := InputTokensOnly P /\ Assumption1 P.

(* theorems/bigbird2020-star.json: the hypotheses of Theorem 1 of Zaheer et al., "Big Bird:
   Transformers for Longer Sequences" (NeurIPS 2020): the graph contains the star graph on one extra
   token (Definition 1), and it is one graph, used by every layer. *)
Definition BigBird2020 (P : pattern) : Prop := BigBirdStar P /\ OneGraph P.

(* theorems/reachability-closure.json: the necessary condition, every input token eventually
   influences every input token (with the residual connection). When it fails, no network with these
   patterns approximates a function whose output column k depends on input column j. *)
Definition InfluenceCondition (P : pattern) : Prop := Influence P.
