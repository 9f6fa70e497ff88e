(* Random access for the checkers: a list as a map from positions (PositiveMap of the standard
   library), and iteration over a list together with the positions of its elements. *)
From Coq Require Import Arith NArith List Bool Lia FMapPositive.
From Sparsecert Require Import Sets.
Import ListNotations.
Local Open Scope N_scope.

Definition key (k : N) : positive := N.succ_pos k.

Lemma key_inj a b : key a = key b -> a = b.
Proof.
  unfold key; intro H. apply N.succ_inj. rewrite <- !N.succ_pos_spec. now rewrite H.
Qed.

Fixpoint index_from {A} (i : N) (l : list A) (m : PositiveMap.t A) : PositiveMap.t A :=
  match l with
  | [] => m
  | x :: l' => index_from (i + 1) l' (PositiveMap.add (key i) x m)
  end.

Definition index {A} (l : list A) : PositiveMap.t A := index_from 0 l (PositiveMap.empty A).

Lemma index_from_find {A} (l : list A) : forall i m k,
  PositiveMap.find (key k) (index_from i l m) =
  if (k <? i) || (N.of_nat (length l) + i <=? k) then PositiveMap.find (key k) m
  else nth_error l (N.to_nat (k - i)).
Proof.
  induction l as [|x l IH]; intros i m k; cbn [index_from].
  - destruct (_ || _) eqn:E; auto. bool_cmp. simpl in *; lia.
  - rewrite IH. replace (N.of_nat (length (x :: l))) with (N.of_nat (length l) + 1)
      by (cbn [length]; lia).
    destruct (N.eq_dec k i) as [->|Hne].
    + rewrite N.sub_diag.
      replace ((i <? i + 1) || _) with true by (symmetry; apply orb_true_iff; left; apply N.ltb_lt; lia).
      replace ((i <? i) || _) with false by (symmetry; apply orb_false_iff; split; [apply N.ltb_ge|apply N.leb_gt]; lia).
      apply PositiveMap.gss.
    + rewrite PositiveMap.gso by (intro H; apply Hne, key_inj, H).
      destruct ((k <? i + 1) || _) eqn:E1; destruct ((k <? i) || _) eqn:E2; auto;
        try (apply orb_true_iff in E1 as [E1|E1]); try (apply orb_true_iff in E2 as [E2|E2]); bool_cmp; try lia.
      replace (N.to_nat (k - i)) with (Datatypes.S (N.to_nat (k - (i + 1)))) by lia.
      reflexivity.
Qed.

Lemma index_find {A} (l : list A) k : PositiveMap.find (key k) (index l) = nth_error l (N.to_nat k).
Proof.
  unfold index. rewrite index_from_find, PositiveMap.gempty, N.sub_0_r.
  destruct (k <? 0) eqn:E; [apply N.ltb_lt in E; lia|]. simpl.
  destruct (N.of_nat (length l) + 0 <=? k) eqn:F; auto.
  symmetry; apply nth_error_None. apply N.leb_le in F. lia.
Qed.

Definition lookup (m : PositiveMap.t iset) (k : N) : iset :=
  match PositiveMap.find (key k) m with Some s => s | None => [] end.

Lemma lookup_index (l : list iset) k : lookup (index l) k = nth (N.to_nat k) l [].
Proof.
  unfold lookup; rewrite index_find.
  destruct (nth_error l (N.to_nat k)) eqn:E.
  - symmetry; now apply nth_error_nth.
  - apply nth_error_None in E. symmetry; now apply nth_overflow.
Qed.

(* f on every element and its position (from i on). *)
Fixpoint forall_idx {A} (f : N -> A -> bool) (i : N) (l : list A) : bool :=
  match l with
  | [] => true
  | x :: l' => f i x && forall_idx f (i + 1) l'
  end.

Lemma forall_idx_spec {A} (f : N -> A -> bool) (d : A) l : forall i,
  forall_idx f i l = true <->
  forall k, (N.to_nat k < length l)%nat -> f (i + k) (nth (N.to_nat k) l d) = true.
Proof.
  induction l as [|x l IH]; intro i; simpl.
  - split; [intros _ k H; lia|auto].
  - rewrite andb_true_iff, IH. split.
    + intros [H1 H2] k Hk. destruct (N.to_nat k) eqn:E.
      * replace k with 0 by lia. now rewrite N.add_0_r.
      * specialize (H2 (N.of_nat n) ltac:(lia)). rewrite Nat2N.id in H2.
        replace (i + k) with (i + 1 + N.of_nat n) by lia. exact H2.
    + intro H. split.
      * specialize (H 0 ltac:(simpl; lia)). now rewrite N.add_0_r in H.
      * intros k Hk. specialize (H (k + 1) ltac:(lia)).
        replace (N.to_nat (k + 1)) with (Datatypes.S (N.to_nat k)) in H by lia.
        replace (i + 1 + k) with (i + (k + 1)) by lia. exact H.
Qed.

Lemma forall_idx0 {A} (f : N -> A -> bool) (d : A) l :
  forall_idx f 0 l = true <-> forall k, (N.to_nat k < length l)%nat -> f k (nth (N.to_nat k) l d) = true.
Proof. rewrite (forall_idx_spec f d). split; intros H k Hk; specialize (H k Hk); auto. Qed.

(* The positions (from i on) where f holds, as a set of tokens. *)
Fixpoint select_idx {A} (f : N -> A -> bool) (i : N) (l : list A) : list N :=
  match l with
  | [] => []
  | x :: l' => if f i x then i :: select_idx f (i + 1) l' else select_idx f (i + 1) l'
  end.

Lemma select_idx_spec {A} (f : N -> A -> bool) (d : A) l : forall i x,
  In x (select_idx f i l) -> i <= x /\ (N.to_nat (x - i) < length l)%nat /\ f x (nth (N.to_nat (x - i)) l d) = true.
Proof.
  induction l as [|y l IH]; intros i x; simpl; [tauto|].
  destruct (f i y) eqn:E; [intros [<-|H]|intro H].
  - rewrite N.sub_diag; simpl; repeat split; auto; lia.
  - destruct (IH _ _ H) as [H1 [H2 H3]].
    replace (N.to_nat (x - i)) with (Datatypes.S (N.to_nat (x - (i + 1)))) by lia. repeat split; auto; lia.
  - destruct (IH _ _ H) as [H1 [H2 H3]].
    replace (N.to_nat (x - i)) with (Datatypes.S (N.to_nat (x - (i + 1)))) by lia. repeat split; auto; lia.
Qed.

Definition singletons (l : list N) : iset := norm (map (fun x => (x, x)) l).

Lemma mem_singletons x l : mem x (singletons l) = true <-> In x l.
Proof.
  unfold singletons; rewrite mem_norm. induction l as [|y l IH]; simpl.
  - rewrite mem_nil; split; [discriminate|tauto].
  - rewrite mem_cons, orb_true_iff, IH, in_iv_spec; simpl. split; intros [H|H]; auto; lia.
Qed.

(* Duplicate-free, in one pass with a map of the tokens seen. *)
Fixpoint nodup_from (l : list N) (seen : PositiveMap.t unit) : bool :=
  match l with
  | [] => true
  | x :: l' =>
      match PositiveMap.find (key x) seen with
      | Some _ => false
      | None => nodup_from l' (PositiveMap.add (key x) tt seen)
      end
  end.

Lemma nodup_from_sound l : forall seen, nodup_from l seen = true ->
  NoDup l /\ forall x, In x l -> PositiveMap.find (key x) seen = None.
Proof.
  induction l as [|x l IH]; intros seen; simpl; [split; [constructor|tauto]|].
  destruct (PositiveMap.find (key x) seen) eqn:E; [discriminate|].
  intro H; destruct (IH _ H) as [H1 H2]. split.
  - constructor; auto. intro Hx. specialize (H2 x Hx). now rewrite PositiveMap.gss in H2.
  - intros y [<-|Hy]; auto. specialize (H2 y Hy).
    destruct (N.eq_dec y x) as [->|Hne]; auto.
    now rewrite PositiveMap.gso in H2 by (intro K; apply Hne, key_inj, K).
Qed.

Definition nodupb (l : list N) : bool := nodup_from l (PositiveMap.empty unit).

Lemma nodupb_sound l : nodupb l = true -> NoDup l.
Proof. intro H; now apply nodup_from_sound in H. Qed.

(* Membership in a list of tokens, through a map. *)
Definition set_of (l : list N) : PositiveMap.t unit := fold_left (fun m x => PositiveMap.add (key x) tt m) l (PositiveMap.empty unit).

Definition inm (m : PositiveMap.t unit) (x : N) : bool :=
  match PositiveMap.find (key x) m with Some _ => true | None => false end.

Lemma inm_set_of l x : inm (set_of l) x = true <-> In x l.
Proof.
  unfold set_of, inm.
  assert (G : forall l m, PositiveMap.find (key x) (fold_left (fun m x => PositiveMap.add (key x) tt m) l m) <> None <->
                        In x l \/ PositiveMap.find (key x) m <> None).
  { induction l0 as [|y l0 IH]; intro m; simpl; [tauto|]. rewrite IH.
    destruct (N.eq_dec x y) as [->|Hne].
    - rewrite PositiveMap.gss. split; [tauto|intros _; right; discriminate].
    - rewrite PositiveMap.gso by (intro K; apply Hne, key_inj, K). split; [tauto|]. intros [[E|H]|H]; auto. }
  specialize (G l (PositiveMap.empty unit)). rewrite PositiveMap.gempty in G.
  destruct (PositiveMap.find (key x) _); split; intro H; auto.
  - destruct (proj1 G ltac:(discriminate)) as [H'|H']; [exact H'|congruence].
  - discriminate.
  - exfalso; now apply (proj2 G (or_introl H)).
Qed.
